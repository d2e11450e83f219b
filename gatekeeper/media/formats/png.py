"""PNG (and animated PNG): decode, turn upright, convert to sRGB, re-encode from pixels."""
from __future__ import annotations

from pathlib import Path

from gatekeeper.media import exif, pictures
from gatekeeper.media.base import Cleaned, Handler, Kind, Limits, MediaType
from gatekeeper.media.containers import BrokenFile, png
from gatekeeper.media.formats import png_fast as fast
from gatekeeper.media.formats import refuse_broken, unique

_TEXT = {"tEXt", "zTXt", "iTXt"}
_SAVEABLE = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}


class PngHandler(Handler):
    accepts = MediaType.PNG
    produces = MediaType.PNG
    kind = Kind.PHOTO
    keeps = png.CLEAN_CHUNKS

    def clean(self, data: bytes, src: Path, dst: Path, limits: Limits) -> Cleaned:
        try:
            layout = png.walk(data)
        except BrokenFile as exc:
            raise refuse_broken(exc) from None
        header = layout.chunks[0].payload
        width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
        actl = [c for c in layout.chunks if c.kind == "acTL"]
        count = int.from_bytes(actl[0].payload[0:4], "big") if actl else 1
        pictures.check_pixels(width, height, count, limits)
        removed, orientation = describe(layout, len(data))
        im = pictures.open_strict(data, "PNG")
        icc = im.info.get("icc_profile")
        if getattr(im, "n_frames", 1) > 1:
            frames = pictures.decode_frames(im)
        else:
            frames = pictures.Frames([pictures.decode_still(im)])
        notes: list[str] = []
        frames.images = [_ready(pictures.upright(pictures.to_srgb(i, icc, notes), orientation)) for i in frames.images]
        with open(dst, "wb") as out:
            if len(frames.images) == 1 and fast.encodable(frames.images[0]):
                fast.write(frames.images[0], out)
            else:
                pictures.save_png(frames, out)
        w, h = frames.size
        return Cleaned(Kind.PHOTO, MediaType.PNG, w, h, removed=unique(removed + notes))


def _ready(im):
    return im if im.mode in _SAVEABLE else im.convert("RGBA" if "A" in im.getbands() else "RGB")


def describe(layout: png.PngLayout, size: int) -> tuple[list[str], int]:
    removed: list[str] = []
    orientation = 1
    for chunk in layout.chunks:
        if chunk.kind in _TEXT:
            key = chunk.payload.split(b"\x00", 1)[0].decode("latin-1", "replace")
            removed.append(f"text chunk {key!r}")
        elif chunk.kind == "eXIf":
            names, orientation = exif.summarise(chunk.payload)
            removed.append("EXIF (" + ", ".join(names) + ")" if names else "EXIF block")
        elif chunk.kind == "tIME":
            removed.append("modification time")
        elif chunk.kind not in png.CLEAN_CHUNKS and chunk.kind != "iCCP":
            removed.append(f"{chunk.kind} chunk")
    if orientation != 1:
        removed.append(f"EXIF orientation {orientation} (applied to the pixels)")
    if layout.end < size:
        removed.append(f"{size - layout.end} bytes after the end of the picture")
    return removed, orientation
