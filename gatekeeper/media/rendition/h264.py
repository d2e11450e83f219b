"""The one way a rendition video is written: H.264 (libx264) in a bare MP4, every packet
cut down to coded slices before it reaches the file.

x264 puts its name and every setting into a user-data SEI in the first packet; rather than
remove that one message, the writer keeps only NAL unit types on an allowlist (coded slices),
so no message of any kind, planted or the encoder's own, can be published.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error

from gatekeeper.media import nal
from gatekeeper.media.rendition.base import RenditionError

CRF = 23
# The rendition must cost little more than decoding the source (face analysis needs the rest
# of the gate's budget). On two cores (bench/rendition.py, 1080p30 to 720p) the whole
# rendition took 3.1x the decode time with "veryfast" and 1.4-1.8x with "ultrafast".
# Ultrafast turns the deblocking filter off; it is put back (cheap, and block edges on faces
# hurt the analysis more than a few per cent of bitrate).
PRESET = "ultrafast"
_X264_EXTRA = "deblock=0,0"
KEYFRAME_SECONDS = 1  # a frame can be extracted after decoding at most a second of video
AUDIO_BITRATE = 128_000
_CONTAINER_OPTIONS = {"movflags": "+faststart", "fflags": "+bitexact"}


@dataclass(frozen=True)
class Colour:
    """How the encoded pixels are to be read back (FFmpeg's enum values), written into the
    stream's VUI so a player does not have to guess from the picture size."""

    primaries: int
    transfer: int
    matrix: int
    full_range: bool = False


# What renditions made from RGB pixels (animations, tone-mapped HDR) are: BT.709, limited range.
BT709 = Colour(1, 1, 1)
BT709_MATRIX = av.video.reformatter.Colorspace.ITU709


def from_rgb(pixels) -> av.VideoFrame:
    """An RGB array (h, w, 3 uint8) as a BT.709 limited-range yuv420p frame."""
    return av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p", dst_colorspace=BT709_MATRIX)


class H264Writer:
    """Writes yuv420p frames of one size at a constant rate (and optionally AAC audio) to path.

    Frames are numbered by the writer: frame n is shown at n / rate. Encoding (and the
    optional `prepare` step) runs on a thread of its own (PyAV and OpenCV release the GIL),
    so it overlaps the caller's decoding; a frame handed to write() must not be changed
    afterwards. Finish with `close()`
    (raises RenditionError) or, on failure, `abort()`.
    """

    def __init__(self, path: Path, width: int, height: int, rate: Fraction, *,
                 colour: Colour | None = None, prepare=None, audio_rate: int | None = None,
                 audio_layout: str = "stereo") -> None:
        self.frames = 0  # frames handed to write()
        self._sent = 0  # frames handed to the encoder
        self.rate = Fraction(rate)
        self._prepare = prepare  # run on the encoder thread, once per frame handed to write()
        try:
            self._out = av.open(str(path), "w", format="mp4", options=dict(_CONTAINER_OPTIONS))
            self._video = self._out.add_stream("libx264", rate=self.rate)
            self._configure_video(width, height)
            if colour is not None:
                context = self._video.codec_context
                context.color_primaries, context.color_trc = colour.primaries, colour.transfer
                context.colorspace, context.color_range = colour.matrix, 2 if colour.full_range else 1
            self._audio = self._add_audio(audio_rate, audio_layout) if audio_rate else None
        except av.error.FFmpegError as exc:
            raise RenditionError(f"The video encoder could not start ({exc}).") from None
        self._pipe = _Pipe(self._work)

    def _configure_video(self, width: int, height: int) -> None:
        stream = self._video
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = self._tick = 1 / self.rate
        keyint = max(1, round(self.rate * KEYFRAME_SECONDS))
        # No B-frames: decode order is presentation order, so no composition offsets and no
        # edit list to compensate for them.
        stream.options = {"crf": str(CRF), "preset": PRESET,
                          "x264-params": f"keyint={keyint}:min-keyint={keyint}:bframes=0:aud=0:{_X264_EXTRA}"}
        stream.codec_context.thread_count = 0
        stream.metadata.clear()

    def _add_audio(self, rate: int, layout: str):
        stream = self._out.add_stream("aac", rate=rate)
        stream.layout = layout
        stream.bit_rate = AUDIO_BITRATE
        # Without this FFmpeg's AAC encoder writes its own name into the first frame.
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        stream.metadata.clear()
        return stream

    @property
    def has_audio(self) -> bool:
        return self._audio is not None

    def write(self, frame: av.VideoFrame, copies: int = 1) -> None:
        """Append `copies` output frames showing `frame`: yuv420p at the writer's size, or
        whatever `prepare` (given at construction) turns into that."""
        if copies > 0:
            self.frames += copies
            self._pipe.put(frame, copies)

    def write_audio(self, frame: av.AudioFrame) -> None:
        if self._audio is not None:
            self._pipe.put(frame, 0)

    def _work(self, frame, copies: int) -> None:
        if copies == 0:
            frame.pts = None  # the encoder numbers samples itself; source gaps are not kept
            self._mux(self._encode(self._audio, frame))
            return
        if self._prepare is not None:
            frame = self._prepare(frame)
        for _ in range(copies):
            # Safe to re-send one frame: the encoder takes its own reference, pts included.
            # Our own tick, not the stream's: the muxer changes the stream's time base once
            # the header is written, while frames are still on their way through the encoder.
            frame.pts, frame.time_base = self._sent, self._tick
            frame.pict_type = av.video.frame.PictureType.NONE
            self._sent += 1
            self._mux_video(self._encode(self._video, frame))

    def close(self) -> None:
        self._pipe.join()
        try:
            self._mux_video(self._encode(self._video, None))
            if self._audio is not None:
                self._mux(self._encode(self._audio, None))
            self._out.close()
        except av.error.FFmpegError as exc:
            raise RenditionError(f"The video could not be written ({exc}).") from None

    def abort(self) -> None:
        try:
            self._pipe.join()
        except BaseException:  # noqa: BLE001 - the first error is already on its way up
            pass
        try:
            self._out.close()
        except av.error.FFmpegError:
            pass  # the partial file is deleted by the caller

    @staticmethod
    def _encode(stream, frame):
        try:
            return stream.encode(frame)
        except av.error.FFmpegError as exc:
            raise RenditionError(f"The video could not be encoded ({exc}).") from None

    def _mux(self, packets) -> None:
        for packet in packets:
            self._out.mux(packet)

    def _mux_video(self, packets) -> None:
        for packet in packets:
            self._out.mux(_slices_only(packet, self._video))


def _slices_only(packet: av.Packet, stream) -> av.Packet:
    """The packet with every NAL unit that is not a coded slice removed."""
    try:
        units = nal.annexb_units(bytes(packet))
    except nal.NotAllowed as exc:
        raise RenditionError(f"The video encoder wrote an unexpected stream ({exc}).") from None
    kept, dropped = nal.keep_units(units, nal.H264_SLICE_TYPES)
    if not dropped:
        return packet
    if not kept:
        raise RenditionError("The video encoder wrote a frame without picture data.")
    fresh = av.Packet(b"".join(b"\x00\x00\x00\x01" + unit for unit in kept))
    fresh.pts, fresh.dts, fresh.duration = packet.pts, packet.dts, packet.duration
    fresh.time_base, fresh.is_keyframe = packet.time_base, packet.is_keyframe
    fresh.stream = stream
    return fresh


class _Pipe:
    """A bounded queue feeding one worker thread; the worker's first error is raised to the
    caller on its next put() or at join(), and the worker then only drains the queue."""

    _DEPTH = 8  # frames in flight: enough to keep both sides busy, little memory

    def __init__(self, work) -> None:
        self._work = work
        self._queue: queue.Queue = queue.Queue(maxsize=self._DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="rendition-encoder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._work(*item)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                    self._error = exc

    def put(self, *item) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def join(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error
