"""Animated pictures (GIF, APNG, animated WebP) as a short video: every frame composited as a
still would be, each held for about its duration and never for less than one output frame."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from gatekeeper.media import pictures
from gatekeeper.media.rendition import stills
from gatekeeper.media.rendition.base import MAX_SECONDS, RenditionError, fit
from gatekeeper.media.rendition.h264 import BT709, H264Writer, from_rgb
from gatekeeper.media.rendition.timing import MAX_HOLD_MS, animation_copies, animation_rate, shown_ms
from gatekeeper.media.rendition.videos import Written


def render_animation(im: Image.Image, dst: Path, side: int) -> Written:
    """Encode every frame of an opened animated picture into dst; raises RenditionError."""
    notes: list[str] = []
    durations = []
    try:
        for frame in ImageSequence.Iterator(im):
            durations.append(int(frame.info.get("duration", 0) or 0))
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise RenditionError(f"The animation data is corrupt or cut short ({exc}).") from None
    shown = shown_ms(durations)
    if sum(shown) > MAX_SECONDS * 1000:
        raise RenditionError(f"The animation would play for over {MAX_SECONDS} seconds, too long to publish.")
    rate = animation_rate(shown)
    copies = animation_copies(shown, rate)
    orientation = pictures.orientation_of(im)
    width, height = (im.height, im.width) if orientation in (5, 6, 7, 8) else (im.width, im.height)
    size = fit(width, height, side, even=True)
    writer = H264Writer(dst, size[0], size[1], rate, colour=BT709)
    try:
        for index, frame in enumerate(ImageSequence.Iterator(im)):
            frame_notes: list[str] = []
            picture = stills.displayed(pictures.upright(stills.load(frame).copy(), orientation), frame_notes)
            if index == 0:
                notes += frame_notes
            picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
            writer.write(from_rgb(np.asarray(picture)), copies[index])
        writer.close()
    except BaseException:
        writer.abort()
        raise
    notes.append(f"animation of {len(durations)} frames made into a video")
    if shown != durations:
        notes.append("frame timings set as browsers show them" +
                     (f", pauses over {MAX_HOLD_MS // 1000} s shortened" if max(durations) > MAX_HOLD_MS else ""))
    if orientation != 1:
        notes.append("turned upright")
    return Written(size[0], size[1], writer.frames, rate, False, notes)
