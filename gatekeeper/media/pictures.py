"""The photo pipeline shared by every picture format: decode within limits, turn upright,
convert to sRGB, and keep nothing but pixels (and frame timing for animations)."""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from PIL import Image, ImageCms, ImageFile, ImageSequence

from gatekeeper.media.base import Limits, Refused

log = logging.getLogger(__name__)

JPEG_QUALITY = 92
WEBP_QUALITY = 90
_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass
class Frames:
    """Decoded pictures ready to encode: one for a still, several with timing for an animation."""

    images: list[Image.Image]
    durations: list[int] = field(default_factory=list)
    loop: int | None = None
    notes: list[str] = field(default_factory=list)  # what the pipeline changed, in words

    @property
    def size(self) -> tuple[int, int]:
        return self.images[0].size


def check_pixels(width: int, height: int, frames: int, limits: Limits) -> None:
    """Refuse a picture whose decoded size would pass the limit, before decoding any of it."""
    if width <= 0 or height <= 0:
        raise Refused("The picture declares no width or height.")
    total = width * height * max(frames, 1)
    if total > limits.max_pixels:
        what = f"{frames} frames of {width}x{height}" if frames > 1 else f"{width}x{height}"
        raise Refused(f"The picture is too large to decode safely ({what} pixels, limit {limits.max_pixels:,}).")


def open_strict(data: bytes, pillow_format: str) -> Image.Image:
    """Open with Pillow, allowing only the sniffed format; decoding happens later."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone switched on Pillow's repair mode; a half-grey picture must never be accepted.
        raise Refused("The sanitiser is misconfigured to accept truncated pictures, so nothing is accepted.")
    try:
        return Image.open(io.BytesIO(data), formats=[pillow_format])
    except Image.DecompressionBombError:
        raise Refused("The picture is too large to decode safely.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise Refused(f"The picture cannot be read ({exc}).") from None


def decode_still(im: Image.Image) -> Image.Image:
    """Decode every pixel; a decoding error refuses the picture instead of repairing it."""
    try:
        im.load()
    except Image.DecompressionBombError:
        raise Refused("The picture is too large to decode safely.") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Refused(f"The picture data is corrupt or cut short ({exc}).") from None
    return im


def decode_frames(im: Image.Image) -> Frames:
    """Every frame of an animation, each a full picture, with its duration and the loop count."""
    images, durations = [], []
    try:
        for frame in ImageSequence.Iterator(im):
            frame.load()
            durations.append(int(frame.info.get("duration", 0) or 0))
            images.append(frame.copy())
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Refused(f"The animation data is corrupt or cut short ({exc}).") from None
    loop = im.info.get("loop")
    return Frames(images, durations, int(loop) if loop is not None else None)


def orientation_of(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION, 1)
    except (OSError, SyntaxError, ValueError, TypeError):
        return 1
    return value if value in _TRANSPOSE else 1


def upright(im: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE.get(orientation)
    return im.transpose(method) if method is not None else im


def to_srgb(im: Image.Image, icc: bytes | None, notes: list[str]) -> Image.Image:
    """Convert pixels described by an ICC profile into sRGB; the profile itself is dropped."""
    if not icc:
        return im
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(source) or ""
    except (OSError, ImageCms.PyCMSError):
        notes.append("colour profile (unreadable, ignored)")
        return im
    if "srgb" in description.lower().replace(" ", ""):
        notes.append("colour profile (already sRGB)")
        return im
    mode = {"CMYK": "RGB", "L": "L", "LA": "LA", "RGBA": "RGBA"}.get(im.mode, "RGB")
    if im.mode not in ("RGB", "RGBA", "CMYK", "L"):
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        mode = im.mode
    try:
        im = ImageCms.profileToProfile(im, source, _SRGB, outputMode=mode)
    except ImageCms.PyCMSError:
        notes.append("colour profile (could not be applied, ignored)")
        return im
    notes.append(f"colour profile {description.strip()!r} (converted to sRGB)")
    return im


def flatten(im: Image.Image) -> Image.Image:
    """A picture JPEG can hold: RGB or greyscale, transparency composited on white."""
    if im.mode in ("RGB", "L"):
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", im.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return im.convert("RGB")


def bare(im: Image.Image) -> Image.Image:
    """Drop everything Pillow carries beside the pixels, so no encoder can copy it out."""
    transparency = im.info.get("transparency") if im.mode in ("P", "L", "RGB") else None
    im.info = {} if transparency is None else {"transparency": transparency}
    return im


def save_jpeg(im: Image.Image, out) -> None:
    bare(im).save(out, format="JPEG", quality=JPEG_QUALITY)


# zlib level 3 encodes about three times faster than 6 for files about 5% larger; a PNG is
# re-encoded while the practitioner waits for the upload to be accepted.
PNG_COMPRESS_LEVEL = 3


def save_png(frames: Frames, out) -> None:
    images = [bare(i) for i in frames.images]
    if len(images) == 1:
        images[0].save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
        return
    images[0].save(out, format="PNG", save_all=True, append_images=images[1:], duration=frames.durations,
                   loop=frames.loop or 0, default_image=False, compress_level=PNG_COMPRESS_LEVEL)


def save_gif(frames: Frames, out) -> None:
    images = [bare(i) for i in frames.images]
    options = {}
    if len(images) > 1:
        options = {"save_all": True, "append_images": images[1:], "duration": frames.durations}
        if frames.loop is not None:
            options["loop"] = frames.loop
    images[0].save(out, format="GIF", **options)


def save_webp(frames: Frames, out, *, lossless: bool) -> None:
    images = [bare(i) for i in frames.images]
    options = {"lossless": lossless, "quality": 100 if lossless else WEBP_QUALITY, "exif": b"", "xmp": b"",
               "icc_profile": b""}
    if len(images) > 1:
        options.update(save_all=True, append_images=images[1:], duration=frames.durations, loop=frames.loop or 0)
    images[0].save(out, format="WEBP", **options)
