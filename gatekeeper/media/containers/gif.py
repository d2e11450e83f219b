"""GIF blocks, from the header to the trailer."""
from __future__ import annotations

from dataclasses import dataclass

from gatekeeper.media.containers import BrokenFile

# Frame timing and the loop count (NETSCAPE2.0) are all a clean GIF keeps besides pixels.
CLEAN_BLOCKS = frozenset({"header", "image", "graphic control", "application NETSCAPE2.0", "trailer"})
_LOOP_APPS = {b"NETSCAPE2.0", b"ANIMEXTS1.0"}


@dataclass(frozen=True)
class Block:
    kind: str
    offset: int
    payload: bytes  # data sub-blocks joined, for extensions


@dataclass(frozen=True)
class GifLayout:
    blocks: tuple[Block, ...]
    end: int

    def kinds(self) -> list[str]:
        return [b.kind for b in self.blocks]


def _table_size(flags: int) -> int:
    return 3 * (2 << (flags & 7)) if flags & 0x80 else 0


def _sub_blocks(data: bytes, pos: int) -> tuple[bytes, int]:
    parts = []
    size = len(data)
    while True:
        if pos >= size:
            raise BrokenFile("the picture data ends inside a block")
        length = data[pos]
        pos += 1
        if length == 0:
            return b"".join(parts), pos
        if pos + length > size:
            raise BrokenFile("a data block runs past the end of the file")
        parts.append(data[pos:pos + length])
        pos += length


def walk(data: bytes) -> GifLayout:
    """Every block up to the trailer; raises BrokenFile when cut short or malformed."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        raise BrokenFile("it does not start like a GIF")
    pos = 13 + _table_size(data[10])
    blocks = [Block("header", 0, b"")]
    size = len(data)
    while True:
        if pos >= size:
            raise BrokenFile("the picture data ends before the GIF trailer")
        intro = data[pos]
        if intro == 0x3B:
            blocks.append(Block("trailer", pos, b""))
            return GifLayout(tuple(blocks), pos + 1)
        if intro == 0x2C:
            if pos + 10 > size:
                raise BrokenFile("the picture data ends inside a frame header")
            start = pos
            pos += 10 + _table_size(data[pos + 9]) + 1  # descriptor, local table, LZW code size
            _, pos = _sub_blocks(data, pos)
            blocks.append(Block("image", start, b""))
        elif intro == 0x21:
            if pos + 2 > size:
                raise BrokenFile("the picture data ends inside an extension")
            label = data[pos + 1]
            start = pos
            payload, pos = _sub_blocks(data, pos + 2)
            blocks.append(Block(_extension_kind(label, payload), start, payload))
        else:
            raise BrokenFile(f"an unknown block 0x{intro:02X} at byte {pos}")


def canvas_size(data: bytes, layout: GifLayout) -> tuple[int, int]:
    """The size decoders draw on: the logical screen grown to hold every frame, since Pillow
    (like browsers) enlarges the canvas for a frame that lies partly outside the screen."""
    width, height = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    for block in layout.blocks:
        if block.kind == "image":
            left, top, w, h = (int.from_bytes(data[block.offset + i:block.offset + i + 2], "little")
                               for i in (1, 3, 5, 7))
            width, height = max(width, left + w), max(height, top + h)
    return width, height


def _extension_kind(label: int, payload: bytes) -> str:
    if label == 0xF9:
        return "graphic control"
    if label == 0xFE:
        return "comment"
    if label == 0x01:
        return "plain text"
    if label == 0xFF:
        app = payload[:11]
        if app in _LOOP_APPS:
            return "application NETSCAPE2.0"
        return f"application {app.decode('latin-1')!r}"
    return f"extension 0x{label:02X}"


def check_clean(data: bytes, keeps: frozenset[str] = CLEAN_BLOCKS) -> list[str]:
    """What a written GIF holds outside the allowlist (empty when clean)."""
    try:
        layout = walk(data)
    except BrokenFile as exc:
        return [f"unreadable GIF structure ({exc})"]
    found = [f"{b.kind} block" for b in layout.blocks if b.kind not in keeps]
    if layout.end != len(data):
        found.append(f"{len(data) - layout.end} bytes after the end of the picture")
    return found
