"""The rendition's vocabulary: sizes, the background, the result and the one error."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gatekeeper.media.base import Kind

PHOTO_LONG_SIDE = 2048
VIDEO_LONG_SIDE = 1280
# A viewer sees transparent pixels over the page; renditions assume a white page.
BACKGROUND = (255, 255, 255)
JPEG_QUALITY = 90
# As long as the longest video the sanitiser accepts: a rendition that would play longer
# (an animation of long pauses, timestamps with a gap of hours) is a bomb, not a video.
MAX_SECONDS = 600


@dataclass(frozen=True)
class Rendition:
    """What render() wrote: the file that is analysed, shown, approved, hashed and published."""

    path: Path
    kind: Kind
    mime: str
    extension: str
    width: int
    height: int
    duration: float | None
    frames: int
    fps: float | None
    has_audio: bool
    notes: tuple[str, ...]


class RenditionError(Exception):
    """The file cannot be rendered (or a rendition is not what render() makes); the message is a
    sentence for the Manager."""


def fit(width: int, height: int, side: int, *, even: bool = False) -> tuple[int, int]:
    """The size that keeps the aspect ratio with the long side at most `side` (never enlarged);
    `even` rounds both down to even numbers, as 4:2:0 video needs."""
    if width <= 0 or height <= 0 or side <= 0:
        raise RenditionError("The picture declares no width or height.")
    scale = min(1.0, side / max(width, height))
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    if even:
        w, h = max(2, w - w % 2), max(2, h - h % 2)
    return w, h
