"""JPEG: decode, turn upright, convert to sRGB, re-encode from pixels."""
from __future__ import annotations

from pathlib import Path

from gatekeeper.media import exif, pictures
from gatekeeper.media.base import Cleaned, Handler, Kind, Limits, MediaType
from gatekeeper.media.containers import BrokenFile, jpeg
from gatekeeper.media.formats import jpeg_fast as fast
from gatekeeper.media.formats import refuse_broken, unique

_SEGMENT_WORDS = {
    "APP1:XMP": "XMP block", "APP13:Photoshop": "IPTC/Photoshop block", "COM": "comment",
    "APP2:MPF": "multi-picture index", "JFXX": "JFIF thumbnail", "APP0:JFXX": "JFIF thumbnail",
    "APP14:Adobe": "Adobe colour-transform marker", "APP12:Ducky": "Photoshop 'Ducky' block",
}
_STRUCTURAL = {"SOI", "EOI", "SOS", "DQT", "DHT", "DRI", "APP0:JFIF", "APP2:ICC"}


class JpegHandler(Handler):
    accepts = MediaType.JPEG
    produces = MediaType.JPEG
    kind = Kind.PHOTO
    keeps = jpeg.CLEAN_SEGMENTS

    def clean(self, data: bytes, src: Path, dst: Path, limits: Limits) -> Cleaned:
        try:
            layout = jpeg.walk(data)
        except BrokenFile as exc:
            raise refuse_broken(exc) from None
        width, height = frame_size(layout)
        pictures.check_pixels(width, height, 1, limits)
        removed, orientation = describe(layout, len(data))
        im = pictures.open_strict(data, "JPEG")
        if im.mode == "RGB" and not im.info.get("icc_profile"):
            # The common case (a colour photo in sRGB) takes OpenCV's path: it turns the
            # picture without Pillow's 4-byte pixels, which halves the cost of orientation.
            width, height = fast.reencode(data, orientation, dst)
            return Cleaned(Kind.PHOTO, MediaType.JPEG, width, height, removed=unique(removed))
        im = pictures.decode_still(im)
        notes: list[str] = []
        im = pictures.to_srgb(im, im.info.get("icc_profile"), notes)
        im = pictures.flatten(pictures.upright(im, orientation))
        with open(dst, "wb") as out:
            pictures.save_jpeg(im, out)
        return Cleaned(Kind.PHOTO, MediaType.JPEG, im.width, im.height, removed=unique(removed + notes))


def frame_size(layout: jpeg.JpegLayout) -> tuple[int, int]:
    """Width and height from the first SOF segment, read before decoding."""
    for seg in layout.segments:
        if seg.name.startswith("SOF") and len(seg.payload) >= 5:
            return int.from_bytes(seg.payload[3:5], "big"), int.from_bytes(seg.payload[1:3], "big")
    raise refuse_broken(BrokenFile("it has no frame header"))


def describe(layout: jpeg.JpegLayout, size: int) -> tuple[list[str], int]:
    """What the original carries beside the pixels, in words, and its EXIF orientation."""
    removed: list[str] = []
    orientation = 1
    for seg in layout.segments:
        name = seg.name
        if name == "APP1:Exif":
            names, orientation = exif.summarise(seg.payload[6:])
            removed.append("EXIF (" + ", ".join(names) + ")" if names else "EXIF block")
        elif name in _SEGMENT_WORDS:
            removed.append(_SEGMENT_WORDS[name])
        elif name.startswith("APP") and name not in _STRUCTURAL:
            removed.append(f"{name} block")
    if orientation != 1:
        removed.append(f"EXIF orientation {orientation} (applied to the pixels)")
    if layout.end < size:
        removed.append(f"{size - layout.end} bytes after the end of the picture (extra images or other data)")
    return removed, orientation
