"""The media sanitiser's vocabulary: types, limits, results, the refusal, and the handler base."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class MediaType(enum.Enum):
    """A format recognised from the bytes; the value is its MIME type."""

    JPEG = "image/jpeg"
    PNG = "image/png"
    GIF = "image/gif"
    WEBP = "image/webp"
    HEIF = "image/heif"
    MP4 = "video/mp4"
    MOV = "video/quicktime"

    @property
    def mime(self) -> str:
        return self.value


class Kind(enum.Enum):
    PHOTO = "photo"
    VIDEO = "video"


class Refused(Exception):
    """The item cannot be accepted; `reason` is one plain sentence a person can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MetadataLeft(Refused):
    """A written file still holds something outside its format's allowlist."""


@dataclass(frozen=True)
class Limits:
    """What the sanitiser refuses before decoding; the app config passes its own."""

    max_bytes: int = 2 * 1024**3
    # Photos are read whole into memory, so they get a much smaller ceiling than videos.
    max_photo_bytes: int = 100 * 1024**2
    # Counted over every frame of an animation: a 10,000-frame GIF is a bomb too.
    max_pixels: int = 100_000_000
    max_video_seconds: float = 600.0
    max_video_width: int = 4096
    max_video_height: int = 4096


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class SanitisedMedia:
    """A clean file written by `sanitize_file`, and what was taken out of the original."""

    kind: Kind
    mime: str
    extension: str
    path: Path
    width: int
    height: int
    duration: float | None
    has_audio: bool
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Cleaned:
    """What a handler reports after writing its output (the caller adds the final path)."""

    kind: Kind
    produces: MediaType
    width: int
    height: int
    duration: float | None = None
    has_audio: bool = False
    removed: tuple[str, ...] = ()


class Handler:
    """One format: what it accepts, what it writes, and the only structures its output keeps.

    `keeps` is the allowlist the verifier enforces on the output; anything else in a
    written file is a leak and refuses the item.
    """

    accepts: MediaType
    produces: MediaType
    kind: Kind
    keeps: frozenset[str] = frozenset()

    def clean(self, data: bytes | None, src: Path, dst: Path, limits: Limits) -> Cleaned:
        """Write a clean copy of src to dst; raises Refused. `data` is the whole file for photos."""
        raise NotImplementedError

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.produces]


EXTENSIONS = {
    MediaType.JPEG: ".jpg",
    MediaType.PNG: ".png",
    MediaType.GIF: ".gif",
    MediaType.WEBP: ".webp",
    MediaType.HEIF: ".heic",
    MediaType.MP4: ".mp4",
    MediaType.MOV: ".mov",
}
