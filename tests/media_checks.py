"""Assertions shared by the media tests: markers in raw bytes, corner colours."""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from tests.media_factory import CORNERS, GPS_BYTES, MARKERS


def encodings(text: str) -> list[bytes]:
    """A marker as ASCII and as UTF-16 in both byte orders."""
    return [text.encode(), text.encode("utf-16-le"), text.encode("utf-16-be")]


def markers_in(data: bytes) -> list[str]:
    """Every marker name (and the GPS value) found anywhere in the bytes."""
    found = [name for name, text in MARKERS.items() if any(e in data for e in encodings(text))]
    if GPS_BYTES in data or GPS_BYTES[::-1] in data:
        found.append("gps_seconds")
    return found


def corner_colours(path: Path | Image.Image, inset: int = 4) -> dict[str, tuple[int, int, int]]:
    im = path if isinstance(path, Image.Image) else Image.open(path)
    im = im.convert("RGB")
    w, h = im.size
    return {"top_left": im.getpixel((inset, inset)), "top_right": im.getpixel((w - 1 - inset, inset)),
            "bottom_left": im.getpixel((inset, h - 1 - inset)),
            "bottom_right": im.getpixel((w - 1 - inset, h - 1 - inset))}


def close(a, b, tolerance: int = 24) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def is_upright(path_or_image) -> bool:
    found = corner_colours(path_or_image)
    return all(close(found[k], CORNERS[k]) for k in CORNERS)
