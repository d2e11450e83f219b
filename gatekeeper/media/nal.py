"""H.264/HEVC NAL units in MP4 samples: find and drop SEI messages, which can carry any
text an encoder or camera chooses (encoder settings, vendor data)."""
from __future__ import annotations

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
