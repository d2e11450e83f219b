"""Videos and animations made on the spot for the rendition tests, and the ways an attacker
bends them: a patched edit list, a display matrix, planted NAL units, a padded avcC."""
from __future__ import annotations

import re
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from gatekeeper.media.containers import mp4

PLANTED = b"GKPLANTED-NAL-Z9Q4"


def solid(value, size=(64, 48)) -> np.ndarray:
    """An RGB frame of one grey level (or colour)."""
    colour = value if isinstance(value, tuple) else (value, value, value)
    return np.broadcast_to(np.array(colour, np.uint8), (size[1], size[0], 3)).copy()


def write_clip(path: Path, frames: list[np.ndarray], rate=30, *, times: list[int] | None = None, time_base=None,
               audio: bool = False, codec: str = "libx264", options: dict | None = None) -> Path:
    """An MP4 of the given RGB frames; `times` (in time_base) makes it variable-rate."""
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = options or {"preset": "ultrafast"}
        if time_base is not None:
            stream.time_base = stream.codec_context.time_base = time_base
        sound = out.add_stream("aac", rate=48000) if audio else None
        tb = time_base or Fraction(1, rate)
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = (times[index] if times else index), tb
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
        if sound is not None:
            seconds = len(frames) / rate
            for i in range(int(seconds * 48000 / 1024)):
                tone = np.sin(np.arange(1024) / 10.0).astype(np.float32)[None].repeat(2, 0) * 0.2
                chunk = av.AudioFrame.from_ndarray(tone, format="fltp", layout="stereo")
                chunk.sample_rate, chunk.pts = 48000, i * 1024
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return path


def _length_prefixed(annex_b: bytes) -> bytes:
    units = [u for u in re.split(b"\x00\x00\x00\x01|\x00\x00\x01", annex_b) if u]
    return b"".join(len(u).to_bytes(4, "big") + u for u in units)


def write_size_change(path: Path, first: list[np.ndarray], later: list[np.ndarray]) -> Path:
    """An H.264 MP4 of the RGB frames `first` (its sample entry says their size), then `later`,
    pictures of another size that each carry their own parameter sets in-band."""
    plain = path.with_name(path.stem + "-first.mp4")
    write_clip(plain, first)
    height, width = later[0].shape[:2]
    encoder = av.CodecContext.create("libx264", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.framerate = Fraction(1, 30), Fraction(30)
    encoder.options = {"preset": "ultrafast", "x264-params": "repeat-headers=1:bframes=0"}
    coded = []
    for index, pixels in enumerate(later):
        picture = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        picture.pts = index
        coded += [bytes(p) for p in encoder.encode(picture)]
    coded += [bytes(p) for p in encoder.encode(None)]
    with av.open(str(plain)) as source, av.open(str(path), "w", format="mp4") as target:
        video = source.streams.video[0]
        copy = target.add_stream_from_template(video)
        for packet in source.demux(video):
            if packet.dts is None:
                continue
            packet.stream = copy
            target.mux(packet)
            step, last, time_base = packet.duration, packet.pts, packet.time_base
        for index, data in enumerate(coded, start=1):
            packet = av.Packet(_length_prefixed(data))
            packet.pts = packet.dts = last + index * step
            packet.duration, packet.time_base, packet.is_keyframe = step, time_base, index == 1
            packet.stream = copy
            target.mux(packet)
    plain.unlink()
    return path


def write_hdr_clip(path: Path, luma: int, transfer: int, frames: int = 6, codec: str = "libx265") -> Path:
    """A 10-bit BT.2020 clip of one grey level (10-bit limited-range luma code), tagged HLG or PQ."""
    width, height = 64, 48
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p10le"
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = 9, transfer, 9, 1
        if codec == "libx265":
            stream.options = {"preset": "ultrafast", "x265-params": "log-level=error"}
        planes = [np.full((height, width), luma, np.uint16), np.full((height // 2, width // 2), 512, np.uint16),
                  np.full((height // 2, width // 2), 512, np.uint16)]
        for index in range(frames):
            frame = av.VideoFrame(width, height, "yuv420p10le")
            for plane, values in zip(frame.planes, planes):
                view = np.frombuffer(plane, np.uint16).reshape(plane.height, plane.line_size // 2)
                view[:, :plane.width] = values
            frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range = 9, transfer, 9, 1
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _moov_child(path: Path, *kinds: str):
    root = mp4.read_moov(path)
    moov = root.find("moov")[0]
    return moov, moov.find(*kinds)


def _box_chain(data: bytes, target: bytes, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets of the boxes from the top down to the first `target` box under moov."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        if kind == target:
            return [pos]
        if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
            below = _box_chain(data, target, pos + 8, pos + size)
            if below:
                return [pos, *below]
        pos += size
    return []


def hold_last_sample(path: Path, ticks: int) -> None:
    """Rewrite the video's stts so its last sample lasts `ticks` (the header's duration unchanged);
    the clip must have one stts run and its moov after mdat, as write_clip makes it."""
    data = bytearray(path.read_bytes())
    assert data.find(b"moov") > data.find(b"mdat"), "expected moov after mdat"
    *parents, stts = _box_chain(bytes(data), b"stts")
    size, _, _, count, delta = struct.unpack_from(">I4sIII", data, stts)
    assert size == 24, "expected one stts run"
    box = struct.pack(">I4sIIIIII", 32, b"stts", 0, 2, count - 1, delta, 1, ticks)
    data[stts:stts + size] = box
    for parent in parents:
        struct.pack_into(">I", data, parent, struct.unpack_from(">I", data, parent)[0] + len(box) - size)
    path.write_bytes(bytes(data))


def _timescale(payload: bytes) -> int:
    return struct.unpack_from(">I", payload, 20 if payload[0] == 1 else 12)[0]


def hide_with_edit_list(path: Path, first: int, count: int, rate: int) -> None:
    """Rewrite the video's elst in place so players that honour it show only frames
    first..first+count-1 (the clip must have an identity elst written by FFmpeg)."""
    moov, lists = _moov_child(path, "trak", "edts", "elst")
    elst = lists[0]
    movie = _timescale(moov.find("mvhd")[0].payload)
    media = _timescale(moov.find("trak", "mdia", "mdhd")[0].payload)
    assert elst.payload[0] == 0 and elst.size == 28, "expected a version-0 elst with one entry"
    data = bytearray(path.read_bytes())
    at = moov.offset + elst.offset + elst.header + 8
    struct.pack_into(">Ii", data, at, count * movie // rate, first * media // rate)
    path.write_bytes(bytes(data))


def set_rotation(path: Path, clockwise: int) -> None:
    """Rewrite the video track's display matrix so players turn it `clockwise` degrees."""
    a, b = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[clockwise]
    set_matrix(path, (a << 16, b << 16, 0, -b << 16, a << 16, 0, 0, 0, 1 << 30))


def set_matrix(path: Path, matrix: tuple[int, ...]) -> None:
    """Rewrite the video track's display matrix (a, b, u, c, d, v, x, y, w in tkhd's fixed point)."""
    moov, tkhds = _moov_child(path, "trak", "tkhd")
    tkhd = tkhds[0]
    rest = (4 + 8 + 8 + 4 + 4 + 8) if tkhd.payload[0] == 1 else (4 + 4 + 4 + 4 + 4 + 4)
    rest += 16
    data = bytearray(path.read_bytes())
    struct.pack_into(">9i", data, moov.offset + tkhd.offset + tkhd.header + rest, *matrix)
    path.write_bytes(bytes(data))


def tampered(clean: Path, dst: Path, *, unit_type: int | None = None, avcc_tail: bytes = b"") -> Path:
    """A copy of an H.264 MP4 with a NAL unit of `unit_type` carrying PLANTED text added to
    every sample, and/or bytes appended after its avcC record."""
    # Written as cleanly as a rendition, so the planted units are the only difference.
    with av.open(str(clean)) as src, av.open(str(dst), "w", format="mp4",
                                               options={"fflags": "+bitexact", "movflags": "+faststart"}) as out:
        video = src.streams.video[0]
        stream = out.add_stream_from_template(video)
        stream.metadata.clear()
        stream.codec_context.extradata = bytes(video.codec_context.extradata) + avcc_tail
        for packet in src.demux(video):
            if packet.size == 0:
                continue
            data = bytes(packet)
            if unit_type is not None:
                unit = bytes([unit_type]) + PLANTED
                data = len(unit).to_bytes(4, "big") + unit + data
            fresh = av.Packet(data)
            fresh.pts, fresh.dts, fresh.duration = packet.pts, packet.dts, packet.duration
            fresh.time_base, fresh.is_keyframe, fresh.stream = packet.time_base, packet.is_keyframe, stream
            out.mux(fresh)
    return dst


def frames_of(path: Path) -> list[np.ndarray]:
    """Every frame of a video, as RGB arrays, in presentation order."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def save_animation(path: Path, fmt: str, frames: list[Image.Image], durations: list[int]) -> Path:
    options = {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": 0}
    if fmt == "PNG":
        options["default_image"] = False
    if fmt == "WEBP":
        options["lossless"] = True
    frames[0].save(path, format=fmt, **options)
    return path
