"""Every frame of a video, in presentation order, decoded by PyAV on a thread of its own.

Decoding on its own thread lets it run on one core while the detector works on the other.
Callers must handle VideoError: a video that cannot be read to its end is not analysed.
"""
from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np

# Frames decoded ahead of the detector: enough to keep both busy, few enough to bound memory
# (a 1280x720 frame is 2.8 MB).
READ_AHEAD = 6


class VideoError(Exception):
    """The video cannot be opened or decoded to the end, or its frames are out of order."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame, upright, as BGR; index counts from 0 in presentation order."""

    index: int
    time: float
    image: np.ndarray


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """A decoded frame turned as the display matrix says (counter-clockwise degrees, multiples of 90)."""
    quarter_turns = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(image, quarter_turns)) if quarter_turns else image


def read_frames(path: str | Path) -> Iterator[Frame]:
    """Every frame of the first video stream, in presentation order; raises VideoError."""
    frames: queue.Queue = queue.Queue(maxsize=READ_AHEAD)
    stop = threading.Event()
    worker = threading.Thread(target=_decode_into, args=(Path(path), frames, stop), name="video-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = frames.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        stop.set()
        _drain(frames)
        worker.join(timeout=5)


def _decode_into(path: Path, frames: queue.Queue, stop: threading.Event) -> None:
    try:
        for frame in decode(path):
            while not stop.is_set():
                try:
                    frames.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        _put(frames, None, stop)
    except VideoError as exc:
        _put(frames, exc, stop)
    except Exception as exc:  # noqa: BLE001 - handed to the reader, which fails the analysis
        _put(frames, VideoError(f"{path.name} cannot be decoded ({exc.__class__.__name__})"), stop)


def _put(frames: queue.Queue, item, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            frames.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(frames: queue.Queue) -> None:
    while True:
        try:
            frames.get_nowait()
        except queue.Empty:
            return


def decode(path: Path) -> Iterator[Frame]:
    """The decoding itself, on the calling thread; raises VideoError."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            yield from _frames_of(container, stream)
    except av.FFmpegError as exc:
        raise VideoError(f"{path.name} cannot be decoded ({exc.__class__.__name__}: {exc.strerror or ''})".rstrip()) from None


def _frames_of(container, stream) -> Iterator[Frame]:
    rate = float(stream.average_rate or 25)
    last_time = None
    index = -1
    for index, frame in enumerate(container.decode(stream)):
        time = float(frame.time) if frame.time is not None else index / rate
        if last_time is not None and time <= last_time:
            raise VideoError(f"frame {index} is at {time:.3f}s, not after {last_time:.3f}s: the frames are out of order")
        last_time = time
        yield Frame(index, time, upright(frame.to_ndarray(format="bgr24"), frame.rotation or 0))
    check_complete(container, stream, last_time, rate)


def check_complete(container, stream, last_time: float | None, rate: float) -> None:
    """A video whose frames stop well before its declared length was cut short: refuse it."""
    declared = None
    if stream.duration is not None and stream.time_base is not None:
        declared = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        declared = container.duration / 1_000_000
    if last_time is None:
        raise VideoError("the video has no frames that could be decoded")
    slack = max(0.5, 3.0 / rate)
    if declared is not None and last_time + 1.0 / rate < declared - slack:
        raise VideoError(f"the video stops at {last_time:.2f}s of its {declared:.2f}s: it is damaged or cut short")
