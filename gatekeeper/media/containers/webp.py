"""WebP's RIFF chunks, including the frames of an animation."""
from __future__ import annotations

from dataclasses import dataclass

from gatekeeper.media.containers import BrokenFile

# Bitstreams, alpha, animation and the extended header; never EXIF, XMP or ICC profiles.
CLEAN_CHUNKS = frozenset({"VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF"})
_VP8X_METADATA_FLAGS = 0x20 | 0x08 | 0x04  # ICC, EXIF, XMP


@dataclass(frozen=True)
class Chunk:
    kind: str
    offset: int
    payload: bytes


@dataclass(frozen=True)
class WebpLayout:
    chunks: tuple[Chunk, ...]  # top-level chunks, then those inside each ANMF frame
    end: int

    def kinds(self) -> list[str]:
        return [c.kind for c in self.chunks]


def _chunks(data: bytes, pos: int, end: int, base: int, out: list[Chunk]) -> None:
    while pos < end:
        if pos + 8 > end:
            raise BrokenFile("the picture data ends inside a chunk header")
        kind = data[pos:pos + 4].decode("latin-1")
        length = int.from_bytes(data[pos + 4:pos + 8], "little")
        stop = pos + 8 + length
        if stop > end:
            raise BrokenFile(f"the {kind!r} chunk runs past the end of the file")
        out.append(Chunk(kind, base + pos, data[pos + 8:stop]))
        if kind == "ANMF":
            # A frame holds a 16-byte header, then its own ALPH/VP8/VP8L chunks.
            _chunks(data, pos + 8 + 16, stop, base, out)
        pos = stop + (length & 1)


def walk(data: bytes) -> WebpLayout:
    """Every chunk inside the RIFF container; raises BrokenFile when cut short."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise BrokenFile("it does not start like a WebP")
    end = 8 + int.from_bytes(data[4:8], "little")
    if end > len(data):
        raise BrokenFile("the picture data ends before the size its header declares")
    chunks: list[Chunk] = []
    _chunks(data, 12, end, 0, chunks)
    if not any(c.kind in ("VP8 ", "VP8L", "ANMF") for c in chunks):
        raise BrokenFile("it holds no picture")
    return WebpLayout(tuple(chunks), end)


def is_lossless(layout: WebpLayout) -> bool:
    return any(c.kind == "VP8L" for c in layout.chunks) and not any(c.kind == "VP8 " for c in layout.chunks)


def check_clean(data: bytes, keeps: frozenset[str] = CLEAN_CHUNKS) -> list[str]:
    """What a written WebP holds outside the allowlist (empty when clean)."""
    try:
        layout = walk(data)
    except BrokenFile as exc:
        return [f"unreadable WebP structure ({exc})"]
    found = [f"{c.kind.strip()} chunk" for c in layout.chunks if c.kind not in keeps]
    for chunk in layout.chunks:
        if chunk.kind == "VP8X" and chunk.payload[:1] and chunk.payload[0] & _VP8X_METADATA_FLAGS:
            found.append("metadata flags in the VP8X header")
    if layout.end != len(data):
        found.append(f"{len(data) - layout.end} bytes after the end of the picture")
    return found
