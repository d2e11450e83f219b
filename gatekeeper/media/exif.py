"""A small reader of EXIF (TIFF) blocks, only to say in words what a cleaning removed."""
from __future__ import annotations

import struct

# Tags worth naming to a person; every other tag is covered by "other EXIF fields".
_NAMED = {
    0x8825: "GPS position",
    0x010F: "camera make", 0x0110: "camera model", 0x0131: "software",
    0x0132: "modification time", 0x9003: "capture time", 0x9004: "digitised time",
    0x013B: "artist", 0x8298: "copyright", 0x010E: "image description",
    0xA430: "owner name", 0xA431: "serial number", 0xA435: "lens serial number",
    0x927C: "maker notes", 0x9286: "user comment",
    0x9C9B: "Windows title", 0x9C9C: "Windows comment", 0x9C9D: "Windows author",
    0x9C9E: "Windows keywords", 0x9C9F: "Windows subject",
}
_EXIF_IFD, _ORIENTATION = 0x8769, 0x0112


def summarise(tiff: bytes) -> tuple[list[str], int]:
    """Names of the personal fields in an EXIF block, and its orientation (1 when absent)."""
    try:
        return _summarise(tiff)
    except (struct.error, ValueError, IndexError):
        return ["EXIF block (partly unreadable)"], 1


def _summarise(tiff: bytes) -> tuple[list[str], int]:
    if tiff[:2] == b"II":
        order = "<"
    elif tiff[:2] == b"MM":
        order = ">"
    else:
        raise ValueError("not a TIFF header")
    first = struct.unpack_from(order + "I", tiff, 4)[0]
    tags, next_ifd, orientation = _ifd(tiff, order, first)
    exif_offset = tags.get(_EXIF_IFD)
    if exif_offset:
        sub, _, _ = _ifd(tiff, order, exif_offset)
        tags.update(sub)
    names = [name for tag, name in _NAMED.items() if tag in tags]
    if next_ifd:
        names.append("embedded thumbnail")
    if len(tags) > len(names):
        names.append("other EXIF fields")
    return names, orientation


def _ifd(tiff: bytes, order: str, offset: int) -> tuple[dict[int, int], int, int]:
    count = struct.unpack_from(order + "H", tiff, offset)[0]
    tags: dict[int, int] = {}
    orientation = 1
    for i in range(count):
        tag, kind, _n, value = struct.unpack_from(order + "HHII", tiff, offset + 2 + 12 * i)
        if tag == _ORIENTATION and kind == 3:
            raw = tiff[offset + 2 + 12 * i + 8:offset + 2 + 12 * i + 10]
            orientation = struct.unpack(order + "H", raw)[0]
        tags[tag] = value
    next_ifd = struct.unpack_from(order + "I", tiff, offset + 2 + 12 * count)[0]
    return tags, next_ifd, orientation
