"""WebP (still or animated): re-encoded from pixels, lossless when the original was."""
from __future__ import annotations

from pathlib import Path

from gatekeeper.media import exif, pictures
from gatekeeper.media.base import Cleaned, Handler, Kind, Limits, MediaType
from gatekeeper.media.containers import BrokenFile, webp
from gatekeeper.media.formats import refuse_broken, unique


class WebpHandler(Handler):
    accepts = MediaType.WEBP
    produces = MediaType.WEBP
    kind = Kind.PHOTO
    keeps = webp.CLEAN_CHUNKS

    def clean(self, data: bytes, src: Path, dst: Path, limits: Limits) -> Cleaned:
        try:
            layout = webp.walk(data)
        except BrokenFile as exc:
            raise refuse_broken(exc) from None
        removed, orientation = describe(layout, len(data))
        im = pictures.open_strict(data, "WEBP")
        count = getattr(im, "n_frames", 1)
        pictures.check_pixels(im.width, im.height, count, limits)
        icc = im.info.get("icc_profile")
        frames = pictures.decode_frames(im) if count > 1 else pictures.Frames([pictures.decode_still(im)])
        notes: list[str] = []
        frames.images = [pictures.upright(pictures.to_srgb(i, icc, notes), orientation) for i in frames.images]
        with open(dst, "wb") as out:
            pictures.save_webp(frames, out, lossless=webp.is_lossless(layout))
        w, h = frames.size
        return Cleaned(Kind.PHOTO, MediaType.WEBP, w, h, removed=unique(removed + notes))


def describe(layout: webp.WebpLayout, size: int) -> tuple[list[str], int]:
    removed: list[str] = []
    orientation = 1
    for chunk in layout.chunks:
        if chunk.kind == "EXIF":
            payload = chunk.payload[6:] if chunk.payload.startswith(b"Exif\x00\x00") else chunk.payload
            names, orientation = exif.summarise(payload)
            removed.append("EXIF (" + ", ".join(names) + ")" if names else "EXIF block")
        elif chunk.kind == "XMP ":
            removed.append("XMP block")
        elif chunk.kind not in webp.CLEAN_CHUNKS and chunk.kind != "ICCP":
            removed.append(f"{chunk.kind.strip()!r} chunk")
    if orientation != 1:
        removed.append(f"EXIF orientation {orientation} (applied to the pixels)")
    if layout.end < size:
        removed.append(f"{size - layout.end} bytes after the end of the picture")
    return removed, orientation
