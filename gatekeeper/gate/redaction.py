"""Irreversible redaction of faces in a picture: a solid fill over a box enlarged around each face."""
from __future__ import annotations

from enum import StrEnum
from fractions import Fraction
from typing import Iterable, Sequence

from PIL import Image, ImageDraw

from gatekeeper.faces.analysis import Box

# A detector's box hugs the eyes-to-chin area; hair, ears and forehead identify a child too.
ENLARGE_FACTOR = 1.6
# Pixelation keeps at most this many blocks across a face: too few to recover anything.
PIXEL_BLOCKS = 5
FILL = (32, 32, 32)


class RedactionStyle(StrEnum):
    FILL = "fill"
    PIXELATE = "pixelate"


def enlarge(box: Box, factor: float, width: int, height: int) -> Box:
    """The box grown about its centre by factor, clipped to the picture."""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    half_w, half_h = box.width * factor / 2, box.height * factor / 2
    left, top = max(0, int(cx - half_w)), max(0, int(cy - half_h))
    right, bottom = min(width, int(round(cx + half_w))), min(height, int(round(cy + half_h)))
    return Box(left, top, max(0, right - left), max(0, bottom - top))


def redact(image: Image.Image, boxes: Iterable[Box], style: RedactionStyle = RedactionStyle.FILL) -> Image.Image:
    """A copy of image with every box covered; the caller re-encodes and re-analyses it."""
    result = image.convert("RGB")
    draw = ImageDraw.Draw(result)
    for face in boxes:
        area = enlarge(face, ENLARGE_FACTOR, result.width, result.height)
        if area.width == 0 or area.height == 0:
            continue
        corners = (area.x, area.y, area.x + area.width, area.y + area.height)
        if style is RedactionStyle.PIXELATE:
            patch = result.crop(corners)
            blocks = (max(1, min(PIXEL_BLOCKS, area.width)), max(1, min(PIXEL_BLOCKS, area.height)))
            coarse = patch.resize(blocks, Image.Resampling.BOX).resize(patch.size, Image.Resampling.NEAREST)
            result.paste(coarse, corners[:2])
        else:
            draw.rectangle((corners[0], corners[1], corners[2] - 1, corners[3] - 1), fill=FILL)
    return result


# A track is covered one frame beyond its first and last sighting too: a face half-turned into
# view is still someone's face.
TRACK_MARGIN_FRAMES = 1


def track_areas(tracks: Iterable[Sequence[Sequence[float]]], rate: Fraction, scale: tuple[float, float],
                width: int, height: int) -> dict[int, list[Box]]:
    """Frame number -> the enlarged boxes to fill in it, for tracks given as (time, x, y, w, h) sightings.

    Boxes are scaled into the covered video's pixels; frames between two sightings of a track (the
    detector missed it there) get a box moved evenly from one sighting to the next.
    """
    sx, sy = scale
    areas: dict[int, list[Box]] = {}
    for sightings in tracks:
        by_frame = {}
        for time, x, y, w, h in sightings:
            by_frame[round(float(time) * rate)] = (x * sx, y * sy, w * sx, h * sy)
        frames = sorted(by_frame)
        if not frames:
            continue
        for first, second in zip(frames, frames[1:] + [None]):
            steps = 1 if second is None else second - first
            for step in range(steps):
                a = by_frame[first]
                b = a if second is None else by_frame[second]
                t = step / steps
                box = Box(*(int(round(p + (q - p) * t)) for p, q in zip(a, b)))
                areas.setdefault(first + step, []).append(enlarge(box, ENLARGE_FACTOR, width, height))
        for frame in range(frames[0] - TRACK_MARGIN_FRAMES, frames[0]):
            areas.setdefault(frame, []).append(enlarge(Box(*(int(round(v)) for v in by_frame[frames[0]])),
                                                       ENLARGE_FACTOR, width, height))
        for frame in range(frames[-1] + 1, frames[-1] + 1 + TRACK_MARGIN_FRAMES):
            areas.setdefault(frame, []).append(enlarge(Box(*(int(round(v)) for v in by_frame[frames[-1]])),
                                                       ENLARGE_FACTOR, width, height))
    return areas
