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
