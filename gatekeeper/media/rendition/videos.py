"""Videos: every frame in presentation order (edit list applied by FFmpeg's demuxer), upright,
scaled, at a constant rate, tone-mapped to SDR when HDR, re-encoded by the H.264 writer."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np

from gatekeeper.media.containers import BrokenFile, isobmff, mp4
from gatekeeper.media.rendition import samples, tonemap
from gatekeeper.media.rendition.base import MAX_SECONDS, RenditionError, fit
from gatekeeper.media.rendition.h264 import BT709, Colour, H264Writer, from_rgb
from gatekeeper.media.rendition.timing import ConstantRate, video_rate
from gatekeeper.media.video import VIDEO_CODECS

_AREA = av.video.reformatter.Interpolation.AREA  # averages, so fine detail cannot alias
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG


@dataclass
class Written:
    width: int
    height: int
    frames: int
    rate: Fraction
    has_audio: bool
    notes: list[str] = field(default_factory=list)


def render_video(src: Path, dst: Path, side: int, keep_audio: bool) -> Written:
    """Re-encode the main video track of src into dst; raises RenditionError."""
    _check_transforms(src)
    try:
        with av.open(str(src), metadata_errors="replace") as container:
            written = _render(container, dst, side, keep_audio)
    except av.error.FFmpegError as exc:
        raise RenditionError(f"The video cannot be read ({exc}).") from None
    if _has_edits(src):
        written.notes.append("edit list applied (frames it hides are not published)")
    return written


def _check_transforms(src: Path) -> None:
    """Refuse a video whose display matrix mirrors, skews or turns it by an odd angle: the
    rendition could not show it as a player does."""
    try:
        root = mp4.read_moov(src)
        matrices = [isobmff.mvhd_matrix(box) for box in root.find("moov", "mvhd")]
        matrices += [isobmff.tkhd_fields(box)["matrix"] for box in root.find("moov", "trak", "tkhd")]
    except (BrokenFile, IndexError, struct.error):
        raise RenditionError("The video's index (moov) cannot be read.") from None
    if not all(isobmff.is_plain_turn(m) for m in matrices):
        raise RenditionError("The video asks players to mirror, skew or turn it by an unusual angle, "
                             "so it cannot be shown as they would show it.")


def _has_edits(src: Path) -> bool:
    """Whether the source's video edit list hides frames (for the Manager's note only)."""
    try:
        root = mp4.read_moov(src)
        movie_scale = samples.timescale(root.find("moov", "mvhd")[0])
        return any(samples.hides_frames(trak, movie_scale) for trak in root.find("moov", "trak")
                   if isobmff.handler(trak)[0] == "vide")
    except (BrokenFile, RenditionError, IndexError, struct.error):
        return False  # FFmpeg read it; the note is only a courtesy


def _main_video(container):
    candidates = [s for s in container.streams.video
                  if s.codec_context.name in VIDEO_CODECS and not s.disposition & av.stream.Disposition.attached_pic]
    if not candidates:
        raise RenditionError("The video has no H.264 or HEVC picture track.")
    return max(candidates, key=lambda s: (s.codec_context.width * s.codec_context.height, -s.index))


def _render(container, dst: Path, side: int, keep_audio: bool) -> Written:
    video = _main_video(container)
    video.thread_type = "AUTO"  # frame and slice threads: decoding is most of the cost
    audio = next(iter(container.streams.audio), None) if keep_audio else None
    rate = video_rate(video.average_rate or video.guessed_rate)
    frames = _Frames(video, side)
    writer = None
    clock = ConstantRate(rate)
    previous, start, end = None, None, 0.0
    # What the sample entry declares, read before decoding changes it: what the sanitiser checked.
    declared = (video.codec_context.width, video.codec_context.height)
    early_sound: list = []  # sound decoded before the first picture, written once the writer exists
    try:
        for packet in container.demux([s for s in (video, audio) if s is not None]):
            for frame in packet.decode():
                if packet.stream is not video:
                    if writer is not None:
                        writer.write_audio(frame)
                    else:
                        early_sound.append(frame)
                    continue
                if frame.time is None:
                    continue
                if (frame.width, frame.height) != declared:
                    # In-band parameter sets: the sanitiser's size limit read only the sample entry's, and
                    # squeezing other pictures into one shape is not what a player shows.
                    raise RenditionError(f"The video's pictures are {frame.width}x{frame.height} where it declares "
                                         f"{declared[0]}x{declared[1]} (its size changes part-way).")
                if start is None:
                    start = frame.time
                    writer = _open_writer(dst, frames.size(frame), rate, audio, frames)
                    for sound in early_sound:
                        writer.write_audio(sound)
                seconds = frame.time - start
                if seconds > MAX_SECONDS:
                    raise RenditionError(f"The video would play for over {MAX_SECONDS} seconds, too long to publish.")
                copies = clock.place(seconds)
                if copies:
                    writer.write(previous, copies)
                previous = frame
                end = seconds + _frame_seconds(frame, rate)
        if writer is None:
            raise RenditionError("No picture in the video can be decoded.")
        if end > MAX_SECONDS:
            # The last picture's own duration (its stts entry) is not in the length the sanitiser
            # checked: a clip declared 0.3 s long could hold its last picture for days.
            raise RenditionError(f"The video would play for over {MAX_SECONDS} seconds, too long to publish.")
        writer.write(previous, clock.finish(end))
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    notes = frames.notes + (["frames set to a constant rate"] if frames.variable else [])
    if audio is not None and writer.has_audio:
        notes.append("sound re-encoded")
    elif container.streams.audio:
        notes.append("sound removed")
    width, height = frames.out_size
    return Written(width, height, writer.frames, rate, writer.has_audio, notes)


def _open_writer(dst: Path, size: tuple[int, int], rate: Fraction, audio, frames: "_Frames") -> H264Writer:
    # Scaling, turning and tone-mapping run on the encoder's thread, beside the decoder's.
    options = {"colour": frames.colour, "prepare": frames.convert}
    if audio is None:
        return H264Writer(dst, size[0], size[1], rate, **options)
    layout = "mono" if audio.codec_context.channels == 1 else "stereo"
    return H264Writer(dst, size[0], size[1], rate, audio_rate=audio.codec_context.sample_rate or 48000,
                      audio_layout=layout, **options)


def _frame_seconds(frame, rate: Fraction) -> float:
    if frame.duration and frame.time_base:
        return float(frame.duration * frame.time_base)
    return float(1 / rate)


class _Frames:
    """Turns decoded frames into the rendition's: scaled, upright, 8-bit SDR yuv420p."""

    def __init__(self, stream, side: int) -> None:
        self.stream, self.side = stream, side
        self.notes: list[str] = []
        self.variable = False
        self.out_size = (0, 0)
        self._scaled = (0, 0)
        self._turns = 0
        self._transfer = None
        self._last_step = None
        self.colour: Colour | None = None

    def size(self, first) -> tuple[int, int]:
        """Fix the output geometry from the first frame (display aspect, rotation, long side)."""
        sar = self.stream.codec_context.sample_aspect_ratio or Fraction(1)
        width = max(1, round(first.width * sar)) if sar > 0 else first.width
        self._turns = (first.rotation // 90) % 4  # counter-clockwise quarter turns, as np.rot90
        upright = (first.height, width) if self._turns % 2 else (width, first.height)
        self.out_size = fit(*upright, self.side, even=True)
        w, h = self.out_size
        self._scaled = (h, w) if self._turns % 2 else (w, h)
        if self._turns:
            self.notes.append("turned upright")
        if self.out_size != (first.width, first.height) and self.out_size[::-1] != (first.width, first.height):
            self.notes.append(f"scaled to {w}x{h}")
        transfer = int(first.color_trc or self.stream.codec_context.color_trc or 0)
        if transfer in tonemap.HDR_TRANSFERS:
            self._transfer = transfer
            self.colour = BT709
            self.notes.append(f"{tonemap.HDR_TRANSFERS[transfer]} tone-mapped to SDR")
        else:
            self.colour = _source_colour(first)
        return self.out_size

    def convert(self, frame) -> av.VideoFrame:
        self._track_rate(frame)
        w, h = self._scaled
        if self._transfer is not None:
            yuv = frame.reformat(w, h, "yuv444p16le", interpolation=_AREA).to_ndarray()
            rgb = tonemap.to_sdr(yuv, self._transfer, int(frame.color_range or 0) == _FULL_RANGE)
            out = from_rgb(rgb)
        else:
            out = frame.reformat(w, h, "yuv420p", interpolation=_AREA)
        return _turned(out, self._turns) if self._turns else out

    def _track_rate(self, frame) -> None:
        if frame.pts is None or self.variable:
            return
        if self._last_step is not None and frame.duration and frame.duration != self._last_step:
            self.variable = True
        self._last_step = frame.duration or self._last_step


_UNSPECIFIED = 2


def _source_colour(frame) -> Colour | None:
    """The source's colour description, kept because scaling leaves the pixels in its matrix
    and range (a full-range phone clip stays full range); None when the source says nothing."""
    values = [int(v or _UNSPECIFIED) for v in (frame.color_primaries, frame.color_trc, frame.colorspace)]
    full = int(frame.color_range or 0) == _FULL_RANGE
    if all(v == _UNSPECIFIED for v in values) and not full:
        return None
    return Colour(*values, full_range=full)


def _turned(frame: av.VideoFrame, turns: int) -> av.VideoFrame:
    """The frame rotated counter-clockwise by `turns` quarter turns, plane by plane."""
    width, height = (frame.height, frame.width) if turns % 2 else (frame.width, frame.height)
    out = av.VideoFrame(width, height, "yuv420p")
    for source, target in zip(frame.planes, out.planes):
        src = np.frombuffer(source, np.uint8).reshape(source.height, source.line_size)[:, :source.width]
        dst = np.frombuffer(target, np.uint8).reshape(target.height, target.line_size)
        dst[:, :target.width] = np.rot90(src, turns)
    return out
