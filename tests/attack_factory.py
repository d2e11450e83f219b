"""Files that show a viewer a face the old engine did not see: made here from the corpus, never stored.

Each maker writes one file and returns its path. `shown` is the face a viewer sees on the page;
the consented child (`decoy`) is what a flattening that drops alpha or frames would have seen.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

PANEL = (480, 600)  # width, height of one face panel


def face_panel(photo: Path, size: tuple[int, int] = PANEL) -> Image.Image:
    """The corpus photo fitted into a panel (RGB): its face fills most of it."""
    with Image.open(photo) as picture:
        panel = picture.convert("RGB")
        panel.thumbnail(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, (255, 255, 255))
    canvas.paste(panel, ((size[0] - panel.width) // 2, (size[1] - panel.height) // 2))
    return canvas


def _luminance(panel: Image.Image) -> np.ndarray:
    return np.asarray(panel.convert("L"), dtype=np.uint8)


def alpha_only_png(shown: Path, out: Path) -> Path:
    """RGBA whose colour is black everywhere: the face lives only in alpha (on white it shows as itself)."""
    alpha = 255 - _luminance(face_panel(shown))
    rgba = np.zeros(alpha.shape + (4,), dtype=np.uint8)
    rgba[..., 3] = alpha
    Image.fromarray(rgba, "RGBA").save(out, format="PNG")
    return out


def alpha_only_la_png(shown: Path, out: Path) -> Path:
    """Grey plus alpha (LA), the grey black everywhere: the face is in alpha alone."""
    alpha = 255 - _luminance(face_panel(shown))
    la = np.stack([np.zeros_like(alpha), alpha], axis=-1)
    Image.fromarray(la, "LA").save(out, format="PNG")
    return out


def alpha_only_webp(shown: Path, out: Path) -> Path:
    """Lossless WebP with the face in alpha alone."""
    alpha = 255 - _luminance(face_panel(shown))
    rgba = np.zeros(alpha.shape + (4,), dtype=np.uint8)
    rgba[..., 3] = alpha
    Image.fromarray(rgba, "RGBA").save(out, format="WEBP", lossless=True)
    return out


def colour_shows_decoy_page_shows_other(decoy: Path, shown: Path, out: Path) -> Path:
    """Left: the decoy in colour but fully transparent; right: the other face drawn by alpha over black."""
    left = np.asarray(face_panel(decoy), dtype=np.uint8)
    right_alpha = 255 - _luminance(face_panel(shown))
    height, width = right_alpha.shape
    rgba = np.zeros((height, width * 2, 4), dtype=np.uint8)
    rgba[:, :width, :3] = left
    rgba[:, width:, 3] = right_alpha
    Image.fromarray(rgba, "RGBA").save(out, format="PNG")
    return out


def grey16_png(shown: Path, out: Path) -> Path:
    """A 16-bit greyscale PNG (an ordinary export): a flattening that clips it sees white."""
    grey = _luminance(face_panel(shown)).astype(np.uint16) * 257
    picture = Image.fromarray(grey)
    assert picture.mode.startswith("I;16"), picture.mode
    picture.save(out, format="PNG")
    return out


def palette_transparency_png(shown: Path, out: Path, levels: int = 16) -> Path:
    """Every palette entry is black; only their transparency differs, so the face is drawn by tRNS."""
    grey = _luminance(face_panel(shown))
    index = (grey.astype(np.int32) * levels // 256).astype(np.uint8)
    picture = Image.fromarray(index, "P")
    picture.putpalette([0, 0, 0] * levels)
    # Entry i composited on white gives grey 255*i/(levels-1): alpha = 255 - that.
    alphas = bytes(255 - round(255 * i / (levels - 1)) for i in range(levels))
    picture.save(out, format="PNG", transparency=alphas)
    return out


def faint(panel: Image.Image, low: int = 225, high: int = 255) -> Image.Image:
    """The picture in a few grey levels (near white by default): plain to a person, below what the
    plain detector passes see."""
    grey = _luminance(panel).astype(np.float32)
    return Image.fromarray((low + grey / 255.0 * (high - low)).astype(np.uint8), "L").convert("RGB")


def dotted(panel: Image.Image) -> Image.Image:
    """The picture as black and white dots (a 1-bit halftone, as a newsletter prints it)."""
    return panel.convert("L").convert("1").convert("RGB")


def barred(panel: Image.Image) -> Image.Image:
    """The picture behind thin black bars, two pixels in every six (a cot, a fence, a grille)."""
    pixels = np.asarray(panel.convert("RGB")).copy()
    pixels[:, ::6] = 0
    pixels[:, 1::6] = 0
    return Image.fromarray(pixels)


# Faces a person sees that the model alone misses (the detector's degraded pass); bench/faces.py counts them.
DEGRADATIONS = {
    "in 30 grey levels near white": faint,
    "in 30 grey levels of mid-grey": lambda panel: faint(panel, 110, 140),
    "dithered to black and white dots": dotted,
    "behind thin bars": barred,
}


def degraded_png(degrade, shown: Path, out: Path) -> Path:
    """The face panel, degraded one of the DEGRADATIONS ways, as a PNG."""
    degrade(face_panel(shown)).save(out, format="PNG")
    return out


def animated_gif(frames: list[Path], out: Path, duration_ms: int = 200) -> Path:
    """An animated GIF, one corpus face per frame."""
    pictures = [face_panel(p).convert("P", palette=Image.Palette.ADAPTIVE) for p in frames]
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return out


def clip_with_flash(decoy: Path, shown: Path, out: Path, *, fps: int, flash_frames: int, seconds: float = 1.0,
                    flash_at: float = 0.5, faint_face: bool = False) -> Path:
    """An H.264 clip of the decoy all along, with the other face beside it for flash_frames frames only
    (faint_face: in 30 grey levels near white)."""
    import av

    left = np.asarray(face_panel(decoy, (320, 400)))
    right = np.asarray(face_panel(shown, (320, 400)))
    if faint_face:
        right = np.asarray(faint(face_panel(shown, (320, 400))))
    blank = np.full_like(right, 255)
    total = round(seconds * fps)
    first = round(flash_at * fps)
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = 640, 400, "yuv420p"
        for n in range(total):
            shown_now = first <= n < first + flash_frames
            frame = av.VideoFrame.from_ndarray(np.hstack([left, right if shown_now else blank]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


def clip_with_planted_nal(decoy: Path, out: Path, text: bytes, nal_types: tuple[int, ...] = (0, 12)) -> Path:
    """An H.264 clip whose every sample carries extra NAL units of the given types holding text."""
    import av

    plain = out.with_name(out.stem + "-plain.mp4")
    picture = np.asarray(face_panel(decoy, (320, 400)))
    with av.open(str(plain), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 400, "yuv420p"
        for _ in range(10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    extra = b"".join(len(bytes([t]) + text).to_bytes(4, "big") + bytes([t]) + text for t in nal_types)
    with av.open(str(plain)) as source, av.open(str(out), "w", format="mp4") as target:
        video = source.streams.video[0]
        copy = target.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is None and packet.size == 0:
                continue
            planted = av.Packet(extra + bytes(packet))
            planted.pts, planted.dts, planted.duration = packet.pts, packet.dts, packet.duration
            planted.time_base, planted.is_keyframe = packet.time_base, packet.is_keyframe
            planted.stream = copy
            target.mux(planted)
    plain.unlink()
    return out


def clip_changing_size(decoy: Path, out: Path) -> Path:
    """The decoy at the size the sample entry declares, then in pictures four times as large whose
    parameter sets travel in-band (the sanitiser's resolution limit never reads them)."""
    from tests.rendition_clips import write_size_change

    first = np.asarray(face_panel(decoy, (320, 400)))
    later = np.asarray(face_panel(decoy, (640, 800)))
    return write_size_change(out, [first] * 10, [later] * 10)


def clip_holding_last_picture(decoy: Path, out: Path, seconds: int = 3000) -> Path:
    """A third of a second of the decoy by its header, whose last picture is held for `seconds`
    by its own sample duration: a rendition far longer than any video the sanitiser accepts."""
    import av

    from tests.rendition_clips import hold_last_sample, write_clip

    write_clip(out, [np.asarray(face_panel(decoy, (320, 400)))] * 10, rate=30)
    with av.open(str(out)) as container:
        hold_last_sample(out, int(seconds / container.streams.video[0].time_base))
    return out


def stranger_small_beside_decoy(decoy: Path, shown: Path, out: Path, shown_width: int = 180) -> Path:
    """A 2048x1536 photo: the decoy large, the other face in a panel `shown_width` wide. Found (and
    unknown) in the full-size rendition, it is too small for the detector in a 320-pixel one, where a
    viewer still sees who it is."""
    page = Image.new("RGB", (2048, 1536), (230, 230, 230))
    page.paste(face_panel(decoy, (960, 1200)), (0, 168))
    page.paste(face_panel(shown).resize((shown_width, round(shown_width * 1.25))), (1500, 600))
    page.save(out, format="JPEG", quality=92)
    return out
