"""verify_rendition: a rendition file is exactly what render() makes, checked from its bytes.

A photo: a baseline or progressive 8-bit, 3-channel JPEG of structural segments only.
A video: ftyp, moov, mdat; one H.264 track (and at most one AAC track), its avcC exactly
the parameter sets it declares, every sample a tiling of coded slices (NAL types 1 and 5),
the samples of all tracks tiling mdat with no byte between them, constant frame durations,
no edit list but an identity one, no tags.
"""
from __future__ import annotations

import struct
from pathlib import Path

from PIL import Image

from gatekeeper.media import nal
from gatekeeper.media.base import Kind, MediaType, Refused
from gatekeeper.media.containers import BrokenFile, isobmff, jpeg, mp4
from gatekeeper.media.rendition import samples
from gatekeeper.media.rendition.base import RenditionError
from gatekeeper.media.sniffing import HEAD_BYTES, sniff
from gatekeeper.media.verify import verify_file

_JPEG_SEGMENTS = frozenset({"SOI", "APP0:JFIF", "DQT", "SOF0", "SOF2", "DHT", "DRI", "SOS", "EOI"})
_TOP = (["ftyp", "moov", "mdat"], ["ftyp", "moov", "free", "mdat"])
_STBL = {"vide": {"stsd", "stts", "stss", "stsc", "stsz", "stco", "co64"},
         "soun": {"stsd", "stts", "stsc", "stsz", "stco", "co64", "sgpd", "sbgp"}}
_ENTRIES = {"vide": ("avc1", {"avcC", "btrt", "colr"}), "soun": ("mp4a", {"esds", "btrt"})}
# AAC encoders start with 1024 samples of priming that the edit list hides: no picture, and
# audio is only there when the Manager asked for it.
_MAX_AUDIO_PRIMING = 2048


def verify_rendition(path: Path, kind: Kind) -> None:
    """Raise RenditionError unless path is exactly what render() writes for kind."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    expected = MediaType.JPEG if kind is Kind.PHOTO else MediaType.MP4
    if sniff(head) is not expected:
        raise RenditionError(f"The rendition is not {'a JPEG picture' if kind is Kind.PHOTO else 'an MP4 video'}.")
    try:
        verify_file(path)
    except Refused as exc:
        raise RenditionError(f"The rendition is not clean: {exc.reason}") from None
    (_check_photo if kind is Kind.PHOTO else _check_video)(path)


def _check_photo(path: Path) -> None:
    data = path.read_bytes()
    try:
        layout = jpeg.walk(data)
    except BrokenFile as exc:
        raise RenditionError(f"The rendition is broken ({exc}).") from None
    extra = [s.name for s in layout.segments if s.name not in _JPEG_SEGMENTS]
    if extra or layout.end != len(data):
        found = ", ".join(extra or ["trailing bytes"])
        raise RenditionError(f"The rendition holds more than picture data: {found}.")
    with Image.open(path, formats=["JPEG"]) as im:
        if im.mode != "RGB":
            raise RenditionError(f"The rendition is a {im.mode} picture, not 8-bit RGB.")
        if im.layers != 3 or im.bits != 8:
            raise RenditionError("The rendition is not an 8-bit, 3-channel picture.")


def _check_video(path: Path) -> None:
    try:
        root = mp4.read_moov(path)
    except BrokenFile as exc:
        raise RenditionError(f"The rendition is broken ({exc}).") from None
    top = [b.kind for b in root.children]
    if top not in _TOP:
        raise RenditionError("The rendition's boxes are " + ", ".join(top) + ", not ftyp, moov, mdat.")
    mdat = root.find("mdat")[0]
    movie_scale = samples.timescale(root.find("moov", "mvhd")[0])
    _check_upright(root)
    spans: list[tuple[int, int]] = []
    kinds = []
    with open(path, "rb") as fh:
        for trak in root.find("moov", "trak"):
            kind = isobmff.handler(trak)[0]
            kinds.append(kind)
            if kind not in _STBL:
                raise RenditionError(f"The rendition has a {kind!r} track.")
            stbl = trak.find("mdia", "minf", "stbl")[0]
            _check_track(trak, stbl, kind, movie_scale)
            track_spans = samples.sample_spans(stbl)
            if kind == "vide":
                _check_slices(fh, stbl, track_spans)
            spans += track_spans
    if kinds.count("vide") != 1 or kinds.count("soun") > 1:
        raise RenditionError("The rendition must hold one video track and at most one sound track.")
    _check_tiling(spans, mdat.offset + mdat.header, mdat.offset + mdat.size)


_IDENTITY = (1 << 16, 0, 0, 0, 1 << 16, 0, 0, 0, 1 << 30)


def _check_upright(root: isobmff.Box) -> None:
    """The pixels are already upright: a display matrix would make players show them turned."""
    matrices = [isobmff.mvhd_matrix(root.find("moov", "mvhd")[0])] + [isobmff.tkhd_fields(t)["matrix"] for t in root.find("moov", "trak", "tkhd")]
    if any(m != _IDENTITY for m in matrices):
        raise RenditionError("The rendition carries a display rotation or transform.")


def _check_track(trak: isobmff.Box, stbl: isobmff.Box, kind: str, movie_scale: int) -> None:
    extra = {c.kind for c in stbl.children} - _STBL[kind]
    if extra:
        raise RenditionError("The rendition's track holds " + ", ".join(sorted(extra)) + " tables.")
    entry_kind, children = _ENTRIES[kind]
    entries = stbl.find("stsd")[0].children
    if [e.kind for e in entries] != [entry_kind] or {c.kind for c in entries[0].children} - children:
        raise RenditionError(f"The rendition's {kind} track is not plain {entry_kind}.")
    if kind == "vide":
        coded = struct.unpack_from(">HH", entries[0].payload, 24)  # VisualSampleEntry width, height
        fields = isobmff.tkhd_fields(trak.find("tkhd")[0])
        if (fields["width"], fields["height"]) != coded:
            raise RenditionError("The rendition asks players to stretch its pictures.")
        configs = entries[0].find("avcC")
        if len(configs) != 1:
            raise RenditionError("The rendition's video has no single codec configuration.")
        try:
            nal.check_avcc(configs[0].payload)
        except nal.NotAllowed as exc:
            raise RenditionError(f"The rendition's codec configuration holds {exc}.") from None
        for colr in entries[0].find("colr"):
            _check_colr(colr.payload)
        if len(samples.durations(stbl)) != 1:
            raise RenditionError("The rendition's frames do not all last the same time.")
    _check_edits(trak, kind, movie_scale)


def _check_colr(payload: bytes) -> None:
    """A colour description is four numbers and a range bit: nclx, exactly 11 bytes, no profile."""
    if len(payload) != 11 or payload[:4] != b"nclx" or payload[10] & 0x7F:
        raise RenditionError("The rendition's colour description is not a plain nclx record.")


def _check_edits(trak: isobmff.Box, kind: str, movie_scale: int) -> None:
    rows = samples.edits(trak)
    if not rows:
        return
    if len(rows) != 1 or len(trak.find("edts", "elst")) != 1:
        raise RenditionError("The rendition's edit list has more than one edit.")
    shown, media_time, rate, fraction = rows[0]
    limit = _MAX_AUDIO_PRIMING if kind == "soun" else 0
    if not 0 <= media_time <= limit or (rate, fraction) != (1, 0):
        raise RenditionError("The rendition's edit list hides or reorders part of the track.")
    if kind == "vide" and abs(shown - samples.track_ticks(trak, movie_scale)) > 1:
        raise RenditionError("The rendition's edit list hides part of the video.")


def _check_slices(fh, stbl: isobmff.Box, spans: list[tuple[int, int]]) -> None:
    entry = stbl.find("stsd")[0].children[0]
    size = (entry.find("avcC")[0].payload[4] & 3) + 1
    for offset, length in spans:
        fh.seek(offset)
        try:
            nal.check_sample(fh.read(length), size)
        except nal.NotAllowed as exc:
            raise RenditionError(f"The rendition's video holds {exc} (only coded pictures are allowed).") from None


def _check_tiling(spans: list[tuple[int, int]], start: int, end: int) -> None:
    pos = start
    for offset, length in sorted(spans):
        if offset != pos:
            raise RenditionError("The rendition's media data holds bytes that belong to no frame.")
        pos += length
    if pos != end:
        raise RenditionError("The rendition's media data holds bytes that belong to no frame.")
