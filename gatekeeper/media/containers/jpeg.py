"""JPEG segments, from SOI to EOI, and what a clean JPEG may contain."""
from __future__ import annotations

import re
from dataclasses import dataclass

from gatekeeper.media.containers import BrokenFile

SOI, EOI, SOS, COM, APP0 = 0xD8, 0xD9, 0xDA, 0xFE, 0xE0
_STANDALONE = {0x01, SOI, EOI, *range(0xD0, 0xD8)}
# In entropy-coded data 0xFF is followed by 0x00 (stuffing), a restart marker, or a real marker.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

# What Pillow writes for a picture re-encoded from pixels.
CLEAN_SEGMENTS = frozenset({
    "SOI", "APP0:JFIF", "DQT", "SOF0", "SOF1", "SOF2", "DHT", "DRI", "SOS", "EOI",
})


@dataclass(frozen=True)
class Segment:
    marker: int
    offset: int
    payload: bytes

    @property
    def name(self) -> str:
        return segment_name(self.marker, self.payload)


@dataclass(frozen=True)
class JpegLayout:
    segments: tuple[Segment, ...]
    end: int  # offset just after EOI; bytes beyond it are trailing data

    def named(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]


_APP_KINDS = (
    (b"JFIF\x00", "JFIF"), (b"JFXX\x00", "JFXX"), (b"Exif\x00", "Exif"),
    (b"http://ns.adobe.com/xap/1.0/\x00", "XMP"), (b"http://ns.adobe.com/xmp/extension/\x00", "XMP"),
    (b"ICC_PROFILE\x00", "ICC"), (b"MPF\x00", "MPF"), (b"Photoshop 3.0\x00", "Photoshop"),
    (b"Adobe", "Adobe"), (b"Ducky", "Ducky"),
)


def segment_name(marker: int, payload: bytes) -> str:
    if marker == SOI:
        return "SOI"
    if marker == EOI:
        return "EOI"
    if marker == SOS:
        return "SOS"
    if marker == COM:
        return "COM"
    if marker == 0xDB:
        return "DQT"
    if marker == 0xC4:
        return "DHT"
    if marker == 0xDD:
        return "DRI"
    if 0xC0 <= marker <= 0xCF:
        return f"SOF{marker - 0xC0}"
    if 0xE0 <= marker <= 0xEF:
        app = f"APP{marker - 0xE0}"
        for prefix, kind in _APP_KINDS:
            if payload.startswith(prefix):
                return f"{app}:{kind}"
        return app
    return f"marker 0x{marker:02X}"


def walk(data: bytes) -> JpegLayout:
    """Every segment up to EOI; raises BrokenFile when the picture is cut short or malformed."""
    if not data.startswith(b"\xff\xd8"):
        raise BrokenFile("it does not start like a JPEG")
    segments = [Segment(SOI, 0, b"")]
    pos = 2
    size = len(data)
    while True:
        while pos < size and data[pos] == 0xFF and pos + 1 < size and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 2 > size:
            raise BrokenFile("the picture data ends before the end-of-image marker")
        if data[pos] != 0xFF:
            raise BrokenFile(f"a segment marker is missing at byte {pos}")
        marker = data[pos + 1]
        if marker == EOI:
            segments.append(Segment(EOI, pos, b""))
            return JpegLayout(tuple(segments), pos + 2)
        if marker in _STANDALONE:
            raise BrokenFile(f"an unexpected marker 0x{marker:02X} at byte {pos}")
        if pos + 4 > size:
            raise BrokenFile("the picture data ends inside a segment header")
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > size:
            raise BrokenFile("a segment runs past the end of the file")
        segments.append(Segment(marker, pos, data[pos + 4:end]))
        pos = end
        if marker == SOS:
            found = _NEXT_MARKER.search(data, pos)
            if not found:
                raise BrokenFile("the picture data ends before the end-of-image marker")
            pos = found.start()


def check_clean(data: bytes, keeps: frozenset[str] = CLEAN_SEGMENTS) -> list[str]:
    """What a written JPEG holds outside the allowlist (empty when clean)."""
    try:
        layout = walk(data)
    except BrokenFile as exc:
        return [f"unreadable JPEG structure ({exc})"]
    found = [f"{s.name} segment" for s in layout.segments if s.name not in keeps]
    for seg in layout.named("APP0:JFIF"):
        # JFIF may carry its own thumbnail after the 14 fixed bytes.
        if len(seg.payload) != 14 or seg.payload[12:14] != b"\x00\x00":
            found.append("JFIF thumbnail")
    if layout.end != len(data):
        found.append(f"{len(data) - layout.end} bytes after the end of the picture")
    if sum(1 for s in layout.segments if s.marker in range(0xC0, 0xD0) and s.marker not in (0xC4, 0xC8, 0xCC)) != 1:
        found.append("more than one frame")
    return found
