"""What a clean MP4 may contain, checked box by box without reading the sample data."""
from __future__ import annotations

from pathlib import Path

from gatekeeper.media.containers import BrokenFile, isobmff

_MAX_MOOV = 256 * 1024 * 1024

# Box paths a bare remux writes: structure, timing, sample tables and codec configuration.
CLEAN_BOXES = frozenset({
    "ftyp", "free", "mdat", "moov", "moov/mvhd", "moov/trak", "moov/trak/tkhd", "moov/trak/edts",
    "moov/trak/edts/elst", "moov/trak/mdia", "moov/trak/mdia/mdhd", "moov/trak/mdia/hdlr",
    "moov/trak/mdia/minf", "moov/trak/mdia/minf/vmhd", "moov/trak/mdia/minf/smhd",
    "moov/trak/mdia/minf/dinf", "moov/trak/mdia/minf/dinf/dref", "moov/trak/mdia/minf/dinf/dref/url ",
    "moov/trak/mdia/minf/stbl", *(f"moov/trak/mdia/minf/stbl/{k}" for k in (
        "stsd", "stts", "stss", "ctts", "cslg", "stsc", "stsz", "stz2", "stco", "co64", "sgpd", "sbgp", "sdtp")),
    *(f"moov/trak/mdia/minf/stbl/stsd/{entry}" for entry in ("avc1", "avc3", "hvc1", "hev1", "mp4a")),
    *(f"moov/trak/mdia/minf/stbl/stsd/{entry}/{config}" for entry in ("avc1", "avc3", "hvc1", "hev1")
      for config in ("avcC", "hvcC", "pasp", "colr", "btrt", "clli", "mdcv", "fiel", "dvcC", "dvvC")),
    "moov/trak/mdia/minf/stbl/stsd/mp4a/esds", "moov/trak/mdia/minf/stbl/stsd/mp4a/btrt",
    # FFmpeg always writes an empty iTunes-style list; it is allowed only while empty.
    "moov/udta", "moov/udta/meta", "moov/udta/meta/hdlr", "moov/udta/meta/ilst",
})
NEUTRAL_HANDLERS = {"vide": "VideoHandler", "soun": "SoundHandler", "mdir": ""}


def read_moov(path: Path) -> isobmff.Box:
    """The file's top-level boxes with moov walked in full (sample data is never read)."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        def read_at(offset: int, n: int) -> bytes:
            fh.seek(offset)
            return fh.read(n)

        top = isobmff.walk_top(read_at, size)
        root = isobmff.Box("file", 0, size, 0, children=top)
        for box in top:
            if box.kind == "moov":
                if box.size > _MAX_MOOV:
                    raise BrokenFile("its index (moov) is implausibly large")
                raw = read_at(box.offset, box.size)
                box.children = isobmff.walk(raw).children[0].children
            elif box.kind in ("ftyp", "free") and box.size <= 4096:
                box.payload = read_at(box.offset + box.header, box.size - box.header)
    return root


def check_clean(path: Path, keeps: frozenset[str] = CLEAN_BOXES) -> list[str]:
    """What a written MP4 holds outside the allowlist (empty when clean)."""
    try:
        root = read_moov(Path(path))
    except BrokenFile as exc:
        return [f"unreadable MP4 structure ({exc})"]
    found: list[str] = []
    _check_tree(root, "", keeps, found)
    if [b.kind for b in root.children[:1]] != ["ftyp"]:
        found.append("no ftyp box first")
    for box in root.find("free"):
        if box.payload.strip(b"\x00"):
            found.append("data in a free box")
    moov = root.find("moov")
    if len(moov) != 1:
        return found + ["not exactly one moov box"]
    _check_headers(moov[0], found)
    _check_tracks(moov[0], found)
    for ilst in moov[0].find("udta", "meta", "ilst"):
        if ilst.children or ilst.payload:
            found.append("metadata items in moov/udta")
    return found


def _check_tree(box: isobmff.Box, prefix: str, keeps: frozenset[str], found: list[str]) -> None:
    for child in box.children:
        path = f"{prefix}{child.kind}"
        if path not in keeps:
            found.append(f"{path} box")
            continue
        _check_tree(child, path + "/", keeps, found)


def _check_headers(moov: isobmff.Box, found: list[str]) -> None:
    headers = moov.find("mvhd") + moov.find("trak", "mdia", "mdhd")
    if any(isobmff.header_times(h) != (0, 0) for h in headers):
        found.append("creation or modification time")
    for tkhd in moov.find("trak", "tkhd"):
        fields = isobmff.tkhd_fields(tkhd)
        if fields["created"] or fields["modified"]:
            found.append("track creation or modification time")
    for dref_url in moov.find("trak", "mdia", "minf", "dinf", "dref", "url "):
        if dref_url.payload != b"\x00\x00\x00\x01":
            found.append("a data reference to another file")


def _check_tracks(moov: isobmff.Box, found: list[str]) -> None:
    kinds = []
    for trak in moov.find("trak"):
        kind, name = isobmff.handler(trak)
        kinds.append(kind)
        if NEUTRAL_HANDLERS.get(kind) != name:
            found.append(f"handler name {name!r}")
        for entry in trak.find("mdia", "minf", "stbl", "stsd"):
            for sample in entry.children:
                # VisualSampleEntry's compressor name (32 bytes at offset 42) is free text.
                if sample.kind in ("avc1", "avc3", "hvc1", "hev1") and sample.payload[42:74].strip(b"\x00"):
                    found.append("compressor name in the sample description")
    for config in moov.find("trak", "mdia", "minf", "stbl", "stsd", "hvc1", "hvcC") + \
            moov.find("trak", "mdia", "minf", "stbl", "stsd", "hev1", "hvcC"):
        if _hvcc_has_sei(config.payload):
            found.append("SEI messages in the codec configuration")
    for meta_hdlr in moov.find("udta", "meta", "hdlr"):
        if meta_hdlr.payload[8:12] != b"mdir" or meta_hdlr.payload[24:].strip(b"\x00"):
            found.append("a named metadata handler")
    if kinds.count("vide") != 1:
        found.append(f"{kinds.count('vide')} video tracks")
    if kinds.count("soun") > 1:
        found.append(f"{kinds.count('soun')} audio tracks")
    if any(k not in ("vide", "soun") for k in kinds):
        found.append("tracks other than one video and one audio")


def _hvcc_has_sei(record: bytes) -> bool:
    from gatekeeper.media import nal  # the NAL reader lives with the video code
    from gatekeeper.media.base import Refused

    try:
        return any(kind in nal.SEI_TYPES["hevc"] for kind, _, _ in nal.hvcc_arrays(record))
    except (Refused, IndexError):
        return True  # unreadable counts as unclean
