"""Covering boxes in every frame of a rendition video, written again by the one H.264 writer.

The source is a rendition (constant rate, frame n shown at n / rate), so a frame's number is
all it takes to know which boxes cover it. Sound, when the rendition has any, is carried over.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import av
import av.error

from gatekeeper.media.rendition.base import RenditionError
from gatekeeper.media.rendition.h264 import BT709, H264Writer, from_rgb

FILL = (32, 32, 32)
Area = tuple[int, int, int, int]  # x, y, width, height in the frame's pixels


def cover_video(src: Path, dst: Path, areas_for: Callable[[int], Sequence[Area]]) -> int:
    """Write src to dst with areas_for(frame number) filled solid in each frame; returns the frames written.

    Raises RenditionError when src cannot be read or dst cannot be written.
    """
    writer = None
    count = 0
    try:
        with av.open(str(src)) as container:
            video = container.streams.video[0]
            audio = next(iter(container.streams.audio), None)
            rate = Fraction(video.average_rate or video.guessed_rate or 30)
            streams = [s for s in (video, audio) if s is not None]
            for packet in container.demux(streams):
                for frame in packet.decode():
                    if packet.stream is audio:
                        if writer is not None:
                            writer.write_audio(frame)
                        continue
                    pixels = frame.to_ndarray(format="rgb24")
                    if writer is None:
                        writer = _writer(dst, pixels.shape[1], pixels.shape[0], rate, audio)
                    for x, y, w, h in areas_for(count):
                        pixels[max(0, y):max(0, y + h), max(0, x):max(0, x + w)] = FILL
                    writer.write(from_rgb(pixels))
                    count += 1
        if writer is None:
            raise RenditionError("The video has no picture to cover.")
        writer.close()
    except av.error.FFmpegError as exc:
        if writer is not None:
            writer.abort()
        raise RenditionError(f"The video cannot be covered ({exc}).") from None
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return count


def _writer(dst: Path, width: int, height: int, rate: Fraction, audio) -> H264Writer:
    if audio is None:
        return H264Writer(dst, width, height, rate, colour=BT709)
    layout = "mono" if audio.codec_context.channels == 1 else "stereo"
    return H264Writer(dst, width, height, rate, colour=BT709, audio_rate=audio.codec_context.sample_rate or 48000,
                      audio_layout=layout)
