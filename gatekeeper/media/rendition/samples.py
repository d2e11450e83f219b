"""Where each sample of an MP4 track lies in the file, from its sample tables (stsz, stsc,
stco/co64): the verifier reads every byte of the samples through this, not through FFmpeg."""
from __future__ import annotations

import struct

from gatekeeper.media.containers import isobmff
from gatekeeper.media.rendition.base import RenditionError


def _table(box: isobmff.Box, fmt: str, fields: int) -> list[tuple[int, ...]]:
    p = box.payload
    count = struct.unpack_from(">I", p, 4)[0]
    width = struct.calcsize(">" + fmt)
    if 8 + count * width > len(p):
        raise RenditionError(f"The video's {box.kind} table is cut short.")
    return [struct.unpack_from(">" + fmt, p, 8 + i * width)[:fields] for i in range(count)]


def _one(stbl: isobmff.Box, *kinds: str) -> isobmff.Box:
    found = [b for kind in kinds for b in stbl.find(kind)]
    if len(found) != 1:
        raise RenditionError(f"The video has {len(found)} {'/'.join(kinds)} tables instead of one.")
    return found[0]


def sizes(stbl: isobmff.Box) -> list[int]:
    stsz = _one(stbl, "stsz").payload
    fixed, count = struct.unpack_from(">II", stsz, 4)
    if fixed:
        return [fixed] * count
    if 12 + 4 * count > len(stsz):
        raise RenditionError("The video's stsz table is cut short.")
    return list(struct.unpack_from(f">{count}I", stsz, 12))


def sample_spans(stbl: isobmff.Box) -> list[tuple[int, int]]:
    """(offset, size) of every sample of the track, in decoding order."""
    lengths = sizes(stbl)
    chunk_box = _one(stbl, "stco", "co64")
    offsets = [row[0] for row in _table(chunk_box, "Q" if chunk_box.kind == "co64" else "I", 1)]
    runs = _table(_one(stbl, "stsc"), "III", 2)
    spans, sample = [], 0
    for index, (first, per_chunk) in enumerate(runs):
        last = runs[index + 1][0] - 1 if index + 1 < len(runs) else len(offsets)
        if first < 1 or last > len(offsets) or last < first:
            raise RenditionError("The video's stsc table points outside its chunks.")
        for chunk in range(first - 1, last):
            pos = offsets[chunk]
            for _ in range(per_chunk):
                if sample >= len(lengths):
                    raise RenditionError("The video's sample tables disagree.")
                spans.append((pos, lengths[sample]))
                pos += lengths[sample]
                sample += 1
    if sample != len(lengths):
        raise RenditionError("The video's sample tables disagree.")
    return spans


def durations(stbl: isobmff.Box) -> list[tuple[int, int]]:
    """(count, delta) runs of the stts table."""
    return [(c, d) for c, d in _table(_one(stbl, "stts"), "II", 2)]


def timescale(header: isobmff.Box) -> int:
    """The timescale of an mvhd or mdhd box."""
    p = header.payload
    return struct.unpack_from(">I", p, 20 if p[0] == 1 else 12)[0]


def edits(trak: isobmff.Box) -> list[tuple[int, int, int, int]]:
    """(shown duration in movie ticks, media start, rate, rate fraction) of each edit."""
    rows = []
    for elst in trak.find("edts", "elst"):
        p = elst.payload
        fmt = ">QqHH" if p[0] == 1 else ">IiHH"
        width = struct.calcsize(fmt)
        count = struct.unpack_from(">I", p, 4)[0]
        if 8 + count * width > len(p):
            raise RenditionError("The video's edit list is cut short.")
        rows += [struct.unpack_from(fmt, p, 8 + i * width) for i in range(count)]
    return rows


def track_ticks(trak: isobmff.Box, movie_scale: int) -> float:
    """The track's length (sum of its sample durations) in movie ticks."""
    stbl = trak.find("mdia", "minf", "stbl")[0]
    media = sum(count * delta for count, delta in durations(stbl))
    return media * movie_scale / timescale(trak.find("mdia", "mdhd")[0])


def first_composition_offset(trak: isobmff.Box) -> int:
    """The first sample's composition offset (B-frame delay), 0 without a ctts table."""
    for ctts in trak.find("mdia", "minf", "stbl", "ctts"):
        if struct.unpack_from(">I", ctts.payload, 4)[0]:
            return struct.unpack_from(">i", ctts.payload, 12)[0]
    return 0


def hides_frames(trak: isobmff.Box, movie_scale: int) -> bool:
    """Whether the edit list shows anything but the whole track once, from its first picture."""
    rows = edits(trak)
    if not rows:
        return False
    if len(rows) != 1:
        return True
    shown, media_time, rate, fraction = rows[0]
    skipped = media_time * movie_scale / timescale(trak.find("mdia", "mdhd")[0])
    return (media_time != first_composition_offset(trak) or (rate, fraction) != (1, 0)
            or shown + 1 < track_ticks(trak, movie_scale) - skipped)
