"""MP4 and MOV: remuxed without re-encoding into a bare MP4 holding only the main video
stream (and, in quarantine, the main audio stream), with the display rotation kept.

Reading the rotation later: `video_rotation(path)` gives the clockwise turn a player applies;
with PyAV, a decoded frame's `frame.rotation` gives the same turn counter-clockwise
(FFmpeg's convention), so `video_rotation(path) == -frame.rotation % 360`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from gatekeeper.media import nal
from gatekeeper.media.base import Cleaned, Handler, Kind, Limits, MediaType, Refused
from gatekeeper.media.containers import BrokenFile, isobmff, mp4
from gatekeeper.media.formats import refuse_broken, unique


class _PyAV:
    """PyAV, imported on first use: it loads FFmpeg (about 0.1 s), and sanitising photos never needs it."""

    def __getattr__(self, name: str):
        import av as module
        import av.error  # noqa: F401 - FFmpegError lives here

        globals()["av"] = module
        return getattr(module, name)


av = _PyAV()

log = logging.getLogger(__name__)

VIDEO_CODECS = frozenset({"h264", "hevc"})
AUDIO_CODECS = frozenset({"aac"})
_OUTPUT_OPTIONS = {"movflags": "+faststart", "fflags": "+bitexact"}
_CONTAINER_KEYS_NOT_METADATA = {"major_brand", "minor_version", "compatible_brands"}
_FRIENDLY = {
    "location": "location", "com.apple.quicktime.location.ISO6709": "location",
    "creation_time": "creation time", "com.apple.quicktime.creationdate": "creation time",
    "com.apple.quicktime.make": "make", "com.apple.quicktime.model": "model",
    "com.apple.quicktime.software": "software", "encoder": "encoder",
}
_DECODE_PROBE_PACKETS = 64
_NEUTRAL_NAMES = {"VideoHandler", "SoundHandler"}


@dataclass
class _Plan:
    video: av.video.stream.VideoStream
    audio: av.audio.stream.AudioStream | None
    width: int
    height: int
    duration: float
    removed: list[str] = field(default_factory=list)


class VideoHandler(Handler):
    """MP4 or MOV in, MP4 out."""

    produces = MediaType.MP4
    kind = Kind.VIDEO
    keeps = mp4.CLEAN_BOXES

    def __init__(self, accepts: MediaType) -> None:
        self.accepts = accepts

    def clean(self, data: bytes | None, src: Path, dst: Path, limits: Limits) -> Cleaned:
        return remux(src, dst, limits, keep_audio=True)


def remux(src: Path, dst: Path, limits: Limits, *, keep_audio: bool) -> Cleaned:
    """Copy the main streams of src into a bare MP4 at dst; raises Refused."""
    _check_boxes(src)
    try:
        with av.open(str(src), metadata_errors="replace") as container:
            plan = _plan(container, limits, keep_audio)
            sei_removed = _copy(container, plan, dst)
    except av.error.FFmpegError as exc:
        raise Refused(f"The video cannot be read ({_plain(exc)}).") from None
    if sei_removed:
        plan.removed.append("encoder messages (SEI) inside the video stream")
    return Cleaned(Kind.VIDEO, MediaType.MP4, plan.width, plan.height, duration=plan.duration,
                   has_audio=plan.audio is not None, removed=unique(plan.removed))


def _plain(exc: av.error.FFmpegError) -> str:
    return (exc.strerror or str(exc)).rstrip(".")


def _check_boxes(src: Path) -> None:
    size = src.stat().st_size
    with open(src, "rb") as fh:
        def read_at(offset: int, n: int) -> bytes:
            fh.seek(offset)
            return fh.read(n)
        try:
            boxes = isobmff.walk_top(read_at, size)
        except BrokenFile as exc:
            raise refuse_broken(exc) from None
    kinds = {b.kind for b in boxes}
    if "moov" not in kinds or "mdat" not in kinds:
        raise Refused("The video is incomplete: its index (moov) or its data (mdat) is missing.")


def _plan(container, limits: Limits, keep_audio: bool) -> _Plan:
    # A track whose sample entry FFmpeg cannot read has no codec context: it is not a picture we can check.
    candidates = [s for s in container.streams.video
                  if _codec(s) in VIDEO_CODECS and not s.disposition & av.stream.Disposition.attached_pic]
    if not candidates:
        raise Refused("The video has no H.264 or HEVC picture track.")
    video = max(candidates, key=lambda s: (s.codec_context.width * s.codec_context.height, -s.index))
    width, height = video.codec_context.width, video.codec_context.height
    if width > limits.max_video_width or height > limits.max_video_height:
        raise Refused(f"The video's resolution {width}x{height} is over the limit of "
                      f"{limits.max_video_width}x{limits.max_video_height}.")
    duration = _duration(container, video)
    if duration > limits.max_video_seconds:
        raise Refused(f"The video is {duration:.0f} seconds long, over the limit of {limits.max_video_seconds:.0f} seconds.")
    audios = [s for s in container.streams.audio if _codec(s) in AUDIO_CODECS]
    audio = audios[0] if audios and keep_audio else None
    plan = _Plan(video, audio, width, height, duration)
    plan.removed.extend(_describe(container, {video, audio} - {None}))
    return plan


def _codec(stream) -> str | None:
    return getattr(stream.codec_context, "name", None)


def _duration(container, video) -> float:
    if video.duration is not None and video.time_base:
        return float(video.duration * video.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    raise Refused("The video does not say how long it is.")


def _describe(container, kept: set) -> list[str]:
    removed = []
    tags = [k for k in container.metadata if k not in _CONTAINER_KEYS_NOT_METADATA]
    if tags:
        removed.append("container tags (" + ", ".join(unique(_FRIENDLY.get(k, k) for k in tags)) + ")")
    for stream in container.streams:
        label = f"{stream.type} stream {stream.index}"
        if stream not in kept:
            removed.append(_dropped(stream))
            continue
        keys = [k for k, v in stream.metadata.items()
                if k not in ("language", "vendor_id") and v not in _NEUTRAL_NAMES]
        if keys:
            removed.append(f"{label} tags (" + ", ".join(unique(_FRIENDLY.get(k, k) for k in keys)) + ")")
    chapters = container.chapters()
    if chapters:
        removed.append(f"{len(chapters)} chapter(s)")
    return removed


def _dropped(stream) -> str:
    handler = stream.metadata.get("handler_name", "")
    if stream.type == "data" and "timecode" in stream.metadata:
        return "timecode track"
    if stream.type == "audio":
        return f"extra audio track ({_codec(stream) or 'unknown codec'})"
    if stream.type == "video":
        return "extra picture track (cover art or second camera)"
    if stream.type == "subtitle" or "subtitle" in handler.lower() or "text" in handler.lower():
        return "text track"
    return f"{stream.type} track{' ' + repr(handler) if handler else ''}"


def _copy(container, plan: _Plan, dst: Path) -> bool:
    """Mux the planned streams into dst; True when SEI messages were dropped from the video."""
    sources = [s for s in (plan.video, plan.audio) if s is not None]
    codec = plan.video.codec_context.name
    prefix = nal.length_size(codec, plan.video.codec_context.extradata)
    seen = decoded = 0
    with av.open(str(dst), "w", format="mp4", options=_OUTPUT_OPTIONS) as out:
        out_video = out.add_stream_from_template(plan.video)
        sei_removed = _clean_extradata(codec, out_video)
        targets = {plan.video.index: out_video}
        if plan.audio is not None:
            targets[plan.audio.index] = out.add_stream_from_template(plan.audio)
        for stream in targets.values():
            stream.metadata.clear()
        decoder = plan.video.codec_context
        for packet in container.demux(sources):
            if packet.dts is None and packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            if packet.is_corrupt:
                raise Refused("The video data is corrupt.")
            if packet.stream.index == plan.video.index:
                if not decoded and seen < _DECODE_PROBE_PACKETS:
                    seen += 1
                    decoded += len(decoder.decode(packet))
                stripped = nal.without_sei(codec, bytes(packet), prefix)
                if stripped is not None:
                    packet, sei_removed = _repacked(packet, stripped), True
            packet.stream = targets[packet.stream.index]
            out.mux(packet)
        if not decoded:
            decoded = len(decoder.decode(None))
        if not decoded:
            raise Refused("No picture in the video can be decoded.")
    return sei_removed


def _clean_extradata(codec: str, stream) -> bool:
    if codec != "hevc":
        return False  # avcC holds only parameter sets
    cleaned, dropped = nal.hvcc_without_sei(stream.codec_context.extradata)
    if dropped:
        stream.codec_context.extradata = cleaned
    return dropped


def _repacked(packet, data: bytes):
    fresh = av.Packet(data)
    fresh.pts, fresh.dts, fresh.duration = packet.pts, packet.dts, packet.duration
    fresh.time_base, fresh.is_keyframe = packet.time_base, packet.is_keyframe
    fresh.stream = packet.stream
    return fresh


def video_rotation(path: Path) -> int:
    """Clockwise degrees (0, 90, 180, 270) a player turns the main video track to show it upright."""
    data = mp4.read_moov(Path(path))
    for trak in data.find("moov", "trak"):
        if isobmff.handler(trak)[0] == "vide":
            return isobmff.rotation_of(isobmff.tkhd_fields(trak.find("tkhd")[0])["matrix"])
    return 0
