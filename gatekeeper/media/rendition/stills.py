"""Still pictures: what a viewer sees on a white page, as an 8-bit sRGB baseline JPEG.

Every channel a viewer can see is honoured: 16-bit samples are scaled (never clipped),
palettes expanded, and any transparency (alpha, palette tRNS, colour keys) composited
onto an opaque background, so the engine analyses exactly the published pixels.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from gatekeeper.media import pictures
from gatekeeper.media.base import Refused
from gatekeeper.media.rendition.base import BACKGROUND, JPEG_QUALITY, RenditionError, fit

# Pillow's reduce() averages whole blocks before Lanczos finishes the job: every source pixel
# counts, so no sparse-sampling (image-scaling) attack, and it is several times faster.
_REDUCING_GAP = 2.0
_WIDE = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}


def open_picture(src: Path, pillow_format: str) -> Image.Image:
    """Open src with Pillow, allowing only the sniffed format; raises RenditionError."""
    try:
        return pictures.open_strict(src.read_bytes(), pillow_format)
    except Refused as exc:
        raise RenditionError(exc.reason) from None


def load(im: Image.Image) -> Image.Image:
    try:
        return pictures.decode_still(im)
    except Refused as exc:
        raise RenditionError(exc.reason) from None


def displayed(im: Image.Image, notes: list[str]) -> Image.Image:
    """The RGB picture a viewer sees: 8-bit, sRGB, opaque (transparency over BACKGROUND)."""
    key = im.info.get("transparency")
    icc = im.info.get("icc_profile")
    if im.mode in _WIDE:
        im, key = _eight_bit(im, key, notes)
    elif im.mode == "1":
        im = im.convert("L")
    if icc:
        im = pictures.to_srgb(im, icc, [])
        notes.append("colour profile converted to sRGB")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or im.mode == "P" or key is not None:
        if im.mode in ("L", "RGB") and key is not None:
            im.info["transparency"] = key
        im = _composite(im, notes)
    return im if im.mode == "RGB" else im.convert("RGB")


def _eight_bit(im: Image.Image, key, notes: list[str]) -> tuple[Image.Image, int | None]:
    """Greyscale deeper than 8 bits, scaled (not clipped) to 0-255; the colour key follows it."""
    values = np.asarray(im)
    if im.mode == "F":
        top = 1.0 if values.size and float(np.nanmax(values)) <= 1.0 else 255.0
        scaled = np.clip(np.nan_to_num(values) / top * 255.0, 0, 255)
        notes.append("floating-point samples converted to 8 bits")
        return Image.fromarray((scaled + 0.5).astype(np.uint8), "L"), None
    mask = values == key if isinstance(key, int) else None
    # 65535 * 255 fits in 32 bits; rounding to nearest maps 0 -> 0 and 65535 -> 255.
    eight = ((np.clip(values, 0, 65535).astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    notes.append("16-bit samples scaled to 8 bits")
    if mask is None or not mask.any():
        return Image.fromarray(eight, "L"), None
    alpha = np.where(mask, 0, 255).astype(np.uint8)
    return Image.fromarray(np.dstack([eight, alpha]), "LA"), None


def _composite(im: Image.Image, notes: list[str]) -> Image.Image:
    rgba = im.convert("RGBA")
    if rgba.getchannel("A").getextrema() == (255, 255):
        return rgba.convert("RGB")  # a palette or mode that could be transparent but is not
    page = Image.new("RGBA", rgba.size, BACKGROUND + (255,))
    notes.append("transparency flattened onto white")
    return Image.alpha_composite(page, rgba).convert("RGB")


def scaled(im: Image.Image, side: int, notes: list[str]) -> Image.Image:
    """Shrink (never enlarge) so the long side is at most `side`, with an antialiasing filter."""
    size = fit(im.width, im.height, side)
    if size == im.size:
        return im
    notes.append(f"scaled down to {size[0]}x{size[1]}")
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)


def prepare(im: Image.Image, side: int, notes: list[str]) -> Image.Image:
    """A decoded picture turned upright, made displayable and scaled: the rendition's pixels."""
    orientation = pictures.orientation_of(im)
    if orientation != 1:
        notes.append("turned upright")
    im = pictures.upright(im, orientation)
    return scaled(displayed(im, notes), side, notes)


# The JPEG decoder can scale by 1/2, 1/4 or 1/8 in the DCT domain (a proper low-pass, and
# several times faster than decoding everything and resampling). When one of those lands
# within this fraction of the long side, it is the rendition's size: a 4000 px photo becomes
# 2000 px instead of 2048 px, in about half the time it takes just to decode it whole.
DCT_SLACK = 0.95


def draft_jpeg(im: Image.Image, side: int, notes: list[str]) -> None:
    """Let the JPEG decoder scale in the DCT domain when that gets close enough to `side`."""
    if im.format != "JPEG":
        return
    before = im.size
    im.draft(im.mode, fit(im.width, im.height, max(1, int(side * DCT_SLACK))))
    if im.size != before:
        notes.append(f"scaled down to {im.width}x{im.height}")


def write_jpeg(im: Image.Image, dst: Path) -> None:
    """A baseline JPEG with only structural segments (no EXIF, ICC, comment)."""
    im = im.copy() if im.info else im
    im.info = {}
    try:
        im.save(dst, format="JPEG", quality=JPEG_QUALITY, subsampling="4:2:0", progressive=False, optimize=False)
    except OSError as exc:
        raise RenditionError(f"The picture could not be written ({exc}).") from None
