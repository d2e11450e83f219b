"""Irreversible redaction of faces in a picture: a solid fill over a box enlarged around each face."""
from __future__ import annotations

from enum import StrEnum
from typing import Iterable

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
