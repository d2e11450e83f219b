"""HEIC/HEIF: the primary image decoded (libheif applies the container's rotation) and
written as JPEG; thumbnails, depth maps, extra images, EXIF and XMP are left behind."""
from __future__ import annotations

import io
from pathlib import Path

from gatekeeper.media import exif, pictures
from gatekeeper.media.base import Cleaned, Handler, Kind, Limits, MediaType, Refused
from gatekeeper.media.containers import BrokenFile, isobmff, jpeg
from gatekeeper.media.formats import refuse_broken, unique


class HeifHandler(Handler):
    accepts = MediaType.HEIF
    produces = MediaType.JPEG
    kind = Kind.PHOTO
    keeps = jpeg.CLEAN_SEGMENTS

    def clean(self, data: bytes, src: Path, dst: Path, limits: Limits) -> Cleaned:
        try:
            isobmff.walk(data)
        except BrokenFile as exc:
            raise refuse_broken(exc) from None
        heif = _open(data)
        width, height = heif.size
        pictures.check_pixels(width, height, 1, limits)
        removed = describe(heif)
        try:
            im = heif.to_pillow()
        except (RuntimeError, ValueError, OSError) as exc:
            raise Refused(f"The picture data is corrupt or cut short ({exc}).") from None
        notes: list[str] = []
        im = pictures.flatten(pictures.to_srgb(im, heif.info.get("icc_profile"), notes))
        with open(dst, "wb") as out:
            pictures.save_jpeg(im, out)
        return Cleaned(Kind.PHOTO, MediaType.JPEG, im.width, im.height, removed=unique(removed + notes))


def _open(data: bytes):
    # Imported here: it loads libheif, which only HEIF uploads need, not every `gatekeeper sanitize`.
    import pillow_heif

    if pictures.ImageFile.LOAD_TRUNCATED_IMAGES:
        raise Refused("The sanitiser is misconfigured to accept truncated pictures, so nothing is accepted.")
    try:
        return pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    except (RuntimeError, ValueError, OSError) as exc:
        raise Refused(f"The HEIF picture cannot be read ({exc}).") from None


def describe(heif) -> list[str]:
    info = heif.info
    removed: list[str] = []
    raw = info.get("exif")
    if raw:
        payload = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
        names, orientation = exif.summarise(payload)
        removed.append("EXIF (" + ", ".join(names) + ")" if names else "EXIF block")
        if orientation != 1:
            # libheif has already turned the pixels by the container's rotation (irot/imir).
            removed.append(f"EXIF orientation {orientation} (applied to the pixels)")
    if info.get("xmp"):
        removed.append("XMP block")
    if info.get("metadata"):
        removed.append("other metadata blocks")
    if info.get("thumbnails"):
        removed.append("embedded thumbnail")
    if info.get("depth_images"):
        removed.append("depth map")
    if info.get("aux"):
        removed.append("auxiliary images")
    if len(heif) > 1:
        removed.append(f"{len(heif) - 1} more image(s) in the file")
    nclx = info.get("nclx_profile") or {}
    if nclx.get("color_primaries") not in (None, 1, 2):
        removed.append("wide-gamut colour description (pixels kept as decoded)")
    return removed
