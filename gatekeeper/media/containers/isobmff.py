"""ISO base media boxes (MP4, MOV, HEIF): a walker, and the reads the video code needs."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from gatekeeper.media.containers import BrokenFile

# Boxes whose payload is only child boxes.
_PLAIN_CONTAINERS = {b"moov", b"trak", b"edts", b"mdia", b"minf", b"dinf", b"stbl", b"udta", b"mvex",
                     b"moof", b"traf", b"tref", b"ilst", b"gmhd", b"sinf", b"schi", b"wave", b"iprp", b"ipco"}
# Sample entries: fixed fields, then child boxes (avcC, hvcC, esds, colr, pasp, btrt...).
_VISUAL_ENTRIES = {b"avc1", b"avc3", b"hvc1", b"hev1", b"mp4v", b"dvh1", b"dvhe"}
_AUDIO_ENTRIES = {b"mp4a", b"alac", b"ac-3", b"ec-3", b"Opus", b"fLaC"}
_SKIP = {b"mdat"}  # sample data: never walked, never parsed


@dataclass
class Box:
    kind: str
    offset: int
    size: int
    header: int
    payload: bytes = b""  # only for small leaf boxes; mdat and children-only boxes keep b""
    children: list["Box"] = field(default_factory=list)

    def find(self, *path: str) -> list["Box"]:
        """Descendants along a path of kinds, e.g. find('trak', 'mdia', 'hdlr')."""
        level = [self]
        for kind in path:
            level = [c for box in level for c in box.children if c.kind == kind]
        return level

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _kind(raw: bytes) -> str:
    return raw.decode("latin-1")


def _boxes(data: bytes, pos: int, end: int, depth: int) -> list[Box]:
    found = []
    while pos < end:
        if end - pos < 8:
            if depth and data[pos:end].strip(b"\x00") == b"":
                break  # QuickTime allows a 4-byte zero terminator inside containers
            raise BrokenFile(f"a box header at byte {pos} is cut short")
        size, raw_kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise BrokenFile(f"a box header at byte {pos} is cut short")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos  # runs to the end of its parent (or the file)
        if size < header or pos + size > end:
            raise BrokenFile(f"the {_kind(raw_kind)!r} box at byte {pos} runs past the end of the file")
        box = Box(_kind(raw_kind), pos, size, header)
        body, stop = pos + header, pos + size
        if depth < 12 and raw_kind not in _SKIP:
            _fill(box, raw_kind, data, body, stop, depth)
        found.append(box)
        pos = stop
    return found


def _fill(box: Box, raw_kind: bytes, data: bytes, body: int, stop: int, depth: int) -> None:
    if raw_kind in _PLAIN_CONTAINERS:
        box.children = _boxes(data, body, stop, depth + 1)
    elif raw_kind == b"meta":
        # MP4 `meta` is a full box (4 bytes of version and flags); QuickTime's is not.
        skip = 4 if data[body:body + 4] == b"\x00\x00\x00\x00" else 0
        box.children = _boxes(data, body + skip, stop, depth + 1)
    elif raw_kind in (b"stsd", b"dref"):
        box.payload = data[body:body + 8]
        box.children = _boxes(data, body + 8, stop, depth + 1)
    elif raw_kind in _VISUAL_ENTRIES:
        box.payload = data[body:body + 78]
        box.children = _boxes(data, body + 78, stop, depth + 1)
    elif raw_kind in _AUDIO_ENTRIES:
        version = struct.unpack_from(">H", data, body + 8)[0] if stop - body >= 10 else 0
        fixed = {0: 28, 1: 44, 2: 64}.get(version, 28)
        box.payload = data[body:body + fixed]
        box.children = _boxes(data, body + fixed, stop, depth + 1)
    elif stop - body <= 1 << 20:
        box.payload = data[body:stop]


def walk(data: bytes) -> Box:
    """The box tree of a whole file (mdat contents skipped); raises BrokenFile when cut short."""
    root = Box("file", 0, len(data), 0)
    root.children = _boxes(data, 0, len(data), 0)
    if not root.children:
        raise BrokenFile("it holds no boxes")
    return root


def walk_top(read_at, file_size: int) -> list[Box]:
    """Top-level boxes of a file too large to read whole; read_at(offset, n) returns bytes."""
    boxes = []
    pos = 0
    while pos < file_size:
        head = read_at(pos, 16)
        if len(head) < 8:
            raise BrokenFile(f"a box header at byte {pos} is cut short")
        size, raw_kind = struct.unpack_from(">I4s", head)
        header = 8
        if size == 1:
            if len(head) < 16:
                raise BrokenFile(f"a box header at byte {pos} is cut short")
            size, header = struct.unpack_from(">Q", head, 8)[0], 16
        elif size == 0:
            size = file_size - pos
        if size < header or pos + size > file_size:
            raise BrokenFile(f"the {_kind(raw_kind)!r} box at byte {pos} runs past the end of the file")
        boxes.append(Box(_kind(raw_kind), pos, size, header))
        pos += size
    return boxes


# tkhd matrix: a, b, u, c, d, v, x, y, w in 16.16 / 2.30 fixed point.
_ROTATIONS = {(1, 0, 0, 1): 0, (0, 1, -1, 0): 90, (-1, 0, 0, -1): 180, (0, -1, 1, 0): 270}


def tkhd_fields(tkhd: Box) -> dict:
    """Times, track id, matrix and size from a tkhd payload (version 0 or 1)."""
    p = tkhd.payload
    version = p[0]
    if version == 1:
        created, modified, track_id = struct.unpack_from(">QQI", p, 4)
        rest = 4 + 8 + 8 + 4 + 4 + 8
    else:
        created, modified, track_id = struct.unpack_from(">III", p, 4)
        rest = 4 + 4 + 4 + 4 + 4 + 4
    rest += 8 + 2 + 2 + 2 + 2  # reserved, layer, alternate group, volume, reserved
    matrix = struct.unpack_from(">9i", p, rest)
    width, height = struct.unpack_from(">II", p, rest + 36)
    return {"created": created, "modified": modified, "track_id": track_id, "matrix": matrix,
            "width": width >> 16, "height": height >> 16}


def mvhd_matrix(mvhd: Box) -> tuple[int, ...]:
    """The movie-wide transform of an mvhd box, in the same layout as tkhd's."""
    p = mvhd.payload
    times = 4 + 8 + 8 + 4 + 8 if p[0] == 1 else 4 + 4 + 4 + 4 + 4  # version, dates, timescale, duration
    return struct.unpack_from(">9i", p, times + 4 + 2 + 10)  # after rate, volume, reserved


def is_plain_turn(matrix: tuple[int, ...]) -> bool:
    """Whether a matrix only turns the picture by a multiple of 90 degrees (and moves it back
    into view): no mirroring, skew, scaling or perspective."""
    a, b, u, c, d, v, _, _, w = matrix
    return (a, b, c, d) in {tuple(x << 16 for x in k) for k in _ROTATIONS} and (u, v, w) == (0, 0, 1 << 30)


def header_times(box: Box) -> tuple[int, int]:
    """Creation and modification times of an mvhd or mdhd box."""
    p = box.payload
    if p[0] == 1:
        return struct.unpack_from(">QQ", p, 4)
    return struct.unpack_from(">II", p, 4)


def rotation_of(matrix: tuple[int, ...]) -> int:
    """Clockwise display rotation in degrees for a tkhd matrix (0 when it is not a plain turn)."""
    a, b, _, c, d = (matrix[0] >> 16, matrix[1] >> 16, matrix[2], matrix[3] >> 16, matrix[4] >> 16)
    return _ROTATIONS.get((a, b, c, d), 0)


def handler(trak: Box) -> tuple[str, str]:
    """A track's handler type ('vide', 'soun', 'tmcd', 'text'...) and its name."""
    boxes = trak.find("mdia", "hdlr")
    if not boxes:
        return "", ""
    p = boxes[0].payload
    name = p[24:].split(b"\x00", 1)[0]
    if name[:1] and name[0] == len(name) - 1:
        name = name[1:]  # QuickTime writes a Pascal string
    return _kind(p[8:12]), name.decode("utf-8", "replace")
