"""PNG chunks, from the signature to IEND, each CRC checked."""
from __future__ import annotations

import zlib
from dataclasses import dataclass

from gatekeeper.media.containers import BrokenFile

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pixels, palette, transparency and animation control; never text, time, EXIF or profiles.
CLEAN_CHUNKS = frozenset({"IHDR", "PLTE", "tRNS", "IDAT", "IEND", "acTL", "fcTL", "fdAT"})


@dataclass(frozen=True)
class Chunk:
    kind: str
    offset: int
    payload: bytes


@dataclass(frozen=True)
class PngLayout:
    chunks: tuple[Chunk, ...]
    end: int

    def kinds(self) -> list[str]:
        return [c.kind for c in self.chunks]


def walk(data: bytes) -> PngLayout:
    """Every chunk up to IEND; raises BrokenFile when cut short or when a checksum fails."""
    if not data.startswith(SIGNATURE):
        raise BrokenFile("it does not start like a PNG")
    chunks = []
    pos = len(SIGNATURE)
    size = len(data)
    while True:
        if pos + 12 > size:
            raise BrokenFile("the picture data ends before the IEND chunk")
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind_bytes = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > size:
            raise BrokenFile("a chunk runs past the end of the file")
        if not kind_bytes.isalpha():
            raise BrokenFile(f"a chunk at byte {pos} has no valid name")
        payload = data[pos + 8:pos + 8 + length]
        crc = int.from_bytes(data[end - 4:end], "big")
        if zlib.crc32(payload, zlib.crc32(kind_bytes)) != crc:
            raise BrokenFile(f"the {kind_bytes.decode('ascii')} chunk at byte {pos} is corrupt (checksum mismatch)")
        kind = kind_bytes.decode("ascii")
        chunks.append(Chunk(kind, pos, payload))
        pos = end
        if kind == "IEND":
            if chunks[0].kind != "IHDR":
                raise BrokenFile("the first chunk is not IHDR")
            return PngLayout(tuple(chunks), pos)


def check_clean(data: bytes, keeps: frozenset[str] = CLEAN_CHUNKS) -> list[str]:
    """What a written PNG holds outside the allowlist (empty when clean)."""
    try:
        layout = walk(data)
    except BrokenFile as exc:
        return [f"unreadable PNG structure ({exc})"]
    found = [f"{c.kind} chunk" for c in layout.chunks if c.kind not in keeps]
    if layout.end != len(data):
        found.append(f"{len(data) - layout.end} bytes after the end of the picture")
    return found
