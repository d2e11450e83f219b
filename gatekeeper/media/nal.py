"""H.264/HEVC NAL units in MP4 samples: find and drop SEI messages, which can carry any
text an encoder or camera chooses (encoder settings, vendor data); and allowlists of the
units a rendition may hold."""
from __future__ import annotations

import re

from gatekeeper.media.base import Refused

SEI_TYPES = {"h264": frozenset({6}), "hevc": frozenset({39, 40})}


def nal_type(codec: str, first_byte: int) -> int:
    return first_byte & 0x1F if codec == "h264" else (first_byte >> 1) & 0x3F


def length_size(codec: str, extradata: bytes | None) -> int:
    """Bytes in each NAL length prefix, from an avcC or hvcC record; raises Refused otherwise."""
    if not extradata or extradata[0] != 1:
        raise Refused("The video's codec configuration is missing or in an unsupported layout.")
    if codec == "h264" and len(extradata) >= 7:
        return (extradata[4] & 3) + 1
    if codec == "hevc" and len(extradata) >= 23:
        return (extradata[21] & 3) + 1
    raise Refused("The video's codec configuration is too short to read.")


def without_sei(codec: str, data: bytes, size: int) -> bytes | None:
    """The sample with its SEI units removed, or None when it holds none (the common case)."""
    kept, pos, dropped = [], 0, False
    end = len(data)
    sei = SEI_TYPES[codec]
    while pos + size <= end:
        length = int.from_bytes(data[pos:pos + size], "big")
        stop = pos + size + length
        if stop > end or length == 0:
            raise Refused("The video data is corrupt (a coded unit runs past its sample).")
        if nal_type(codec, data[pos + size]) in sei:
            dropped = True
        else:
            kept.append(data[pos:stop])
        pos = stop
    if pos != end:
        raise Refused("The video data is corrupt (a sample ends inside a coded unit).")
    return b"".join(kept) if dropped else None


def hvcc_arrays(extradata: bytes) -> list[tuple[int, int, int]]:
    """(NAL type, start, end) of each array in an hvcC record."""
    arrays, pos = [], 23
    for _ in range(extradata[22]):
        start, kind = pos, extradata[pos] & 0x3F
        count = int.from_bytes(extradata[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(count):
            pos += 2 + int.from_bytes(extradata[pos:pos + 2], "big")
        if pos > len(extradata):
            raise Refused("The video's codec configuration is corrupt.")
        arrays.append((kind, start, pos))
    return arrays


def hvcc_without_sei(extradata: bytes) -> tuple[bytes, bool]:
    """An hvcC record without its SEI arrays, and whether any were there."""
    arrays = hvcc_arrays(extradata)
    kept = [extradata[s:e] for kind, s, e in arrays if kind not in SEI_TYPES["hevc"]]
    return extradata[:22] + bytes([len(kept)]) + b"".join(kept), len(kept) != len(arrays)


# --- Allowlists: what a rendition's H.264 stream may hold, and nothing else ---------------

# Coded slices of a non-IDR and an IDR picture: pixels, no room for free text.
H264_SLICE_TYPES = frozenset({1, 5})
H264_SPS, H264_PPS = 7, 8
# Baseline, Main and Extended: the only profiles whose avcC ends after the PPS array; every
# other profile adds chroma format, bit depths and SPS extensions (ISO/IEC 14496-15 5.3.3.1).
_PROFILES_WITHOUT_EXTENSION = frozenset({66, 77, 88})
_START = re.compile(b"\x00\x00\x01")


class NotAllowed(Exception):
    """A stream holds a unit or a byte outside the allowlist; str() says what."""


def annexb_units(data: bytes) -> list[bytes]:
    """The NAL units of an Annex B byte stream (start-code separated), in order."""
    starts = [m.end() for m in _START.finditer(data)]
    if not starts or data[:starts[0] - 3].strip(b"\x00"):
        raise NotAllowed("bytes before the first start code")
    ends = [s - 3 for s in starts[1:]] + [len(data)]
    # A unit never ends in a zero byte (it ends with the RBSP stop bit); zeros there belong to
    # the next start code or are trailing_zero_8bits padding.
    return [data[s:e].rstrip(b"\x00") for s, e in zip(starts, ends)]


def keep_units(units: list[bytes], allowed: frozenset[int]) -> tuple[list[bytes], set[int]]:
    """The units whose H.264 type is allowed, and the types that were dropped."""
    kept, dropped = [], set()
    for unit in units:
        kind = nal_type("h264", unit[0]) if unit else -1
        (kept.append(unit) if kind in allowed else dropped.add(kind))
    return kept, dropped


def check_sample(data: bytes, size: int, allowed: frozenset[int] = H264_SLICE_TYPES) -> None:
    """Raise NotAllowed unless the length-prefixed sample is a tiling of allowed H.264 units."""
    pos, end = 0, len(data)
    if not end:
        raise NotAllowed("an empty sample")
    while pos < end:
        if pos + size >= end:
            raise NotAllowed("bytes after the last coded unit")
        length = int.from_bytes(data[pos:pos + size], "big")
        stop = pos + size + length
        if length == 0 or stop > end:
            raise NotAllowed("a coded unit that runs past its sample")
        first = data[pos + size]
        if first & 0x80 or nal_type("h264", first) not in allowed:
            raise NotAllowed(f"a NAL unit of type {first & 0x1F}")
        pos = stop


def check_avcc(record: bytes) -> int:
    """Raise NotAllowed unless the avcC is version 1 with exactly its declared SPS and PPS (and
    the High-profile fields) and not one byte more; returns the NAL length size."""
    try:
        return _walk_avcc(record)
    except IndexError:
        raise NotAllowed("a codec configuration cut short") from None


def _walk_avcc(record: bytes) -> int:
    if record[0] != 1:
        raise NotAllowed(f"codec configuration version {record[0]}")
    profile = record[1]
    if record[4] & 0xFC != 0xFC or record[5] & 0xE0 != 0xE0:
        raise NotAllowed("reserved bits of the codec configuration not set")
    pos = 5
    for expected, count in ((H264_SPS, record[5] & 0x1F), (H264_PPS, None)):
        if count is None:
            count = record[pos]
        pos += 1
        if count == 0:
            raise NotAllowed("a codec configuration without a parameter set")
        for _ in range(count):
            length = int.from_bytes(record[pos:pos + 2], "big")
            unit = record[pos + 2:pos + 2 + length]
            if length == 0 or len(unit) != length or unit[0] & 0x80 or unit[0] & 0x1F != expected:
                raise NotAllowed("a parameter set of the wrong type or length")
            pos += 2 + length
    if profile not in _PROFILES_WITHOUT_EXTENSION:
        fields = record[pos:pos + 4]
        if len(fields) != 4 or fields[0] & 0xFC != 0xFC or fields[1] & 0xF8 != 0xF8 or fields[2] & 0xF8 != 0xF8:
            raise NotAllowed("the High-profile fields of the codec configuration are malformed")
        if fields[3] != 0:
            raise NotAllowed("SPS extensions in the codec configuration")
        pos += 4
    if pos != len(record):
        raise NotAllowed(f"{len(record) - pos} bytes after the codec configuration")
    return (record[4] & 3) + 1
