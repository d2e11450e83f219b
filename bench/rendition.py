"""Benchmark: rendition making against decoding floors measured in the same run.

Makes (once, cached in bench/out/) a 12-megapixel JPEG and a 10-second 1080p30 H.264 clip,
then times, over N runs: Pillow decoding the JPEG (the photo floor) against render() to a
2048 px JPEG; PyAV decoding every frame of the clip (the video floor) against render() to a
1280 px H.264 rendition. Prints median and min of each, the ratios, and the versions.

    PYTHONPATH=. /work/main/.venv/bin/python bench/rendition.py [--runs 5]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatekeeper.media.rendition import render  # noqa: E402
from gatekeeper.media.rendition.h264 import PRESET  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def photo_like(width: int, height: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([x / width * 200, y / height * 180, (x + y) / (width + height) * 220], axis=-1)
    base += rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    return np.clip(base, 0, 255).astype(np.uint8)


def make_inputs() -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    jpeg, clip = OUT / "rendition_12mp.jpg", OUT / "rendition_1080p30_10s.mp4"
    if not jpeg.exists():
        Image.fromarray(photo_like(4000, 3000)).save(jpeg, quality=92)
    if not clip.exists():
        base = photo_like(1920, 1080)
        with av.open(str(clip), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
            stream.options = {"preset": "medium", "crf": "20"}
            for i in range(300):
                # A moving picture, so the encoder has real motion to code (as a phone clip does).
                frame = av.VideoFrame.from_ndarray(np.roll(base, i * 6, axis=1), format="rgb24")
                frame.pts = i
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    return jpeg, clip


def timed(fn, runs: int) -> list[float]:
    fn()  # warm up caches and libraries
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def decode_jpeg(path: Path) -> None:
    with Image.open(path) as im:
        im.load()


def decode_clip(path: Path) -> None:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass


def line(name: str, times: list[float], floor: list[float] | None = None) -> str:
    text = f"  {name:<34} median {statistics.median(times):7.3f} s   min {min(times):7.3f} s"
    if floor:
        median, fastest = statistics.median(times) / statistics.median(floor), min(times) / min(floor)
        text += f"   x{median:.2f} of the floor (min x{fastest:.2f})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    jpeg, clip = make_inputs()
    print(f"CPU: {platform.processor() or platform.machine()} {_cpu_model()}, {_cores()} cores visible")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, OpenCV {cv2.__version__}, "
          f"PyAV {av.__version__} (FFmpeg {av.library_versions.get('libavcodec')}), Pillow {Image.__version__}, "
          f"x264 preset {PRESET}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        print(f"12 MP JPEG -> 2048 px JPEG rendition ({args.runs} runs)")
        floor = timed(lambda: decode_jpeg(jpeg), args.runs)
        ours = timed(lambda: render(jpeg, out, stem="photo"), args.runs)
        print(line("Pillow decode (floor)", floor))
        print(line("render()", ours, floor))
        print(f"10 s 1080p30 H.264 -> 1280 px rendition ({args.runs} runs)")
        floor = timed(lambda: decode_clip(clip), args.runs)
        ours = timed(lambda: render(clip, out, stem="clip"), args.runs)
        print(line("PyAV decode, every frame (floor)", floor))
        print(line("render()", ours, floor))
        rendition = render(clip, out, stem="clip")
        print(f"  rendition: {rendition.width}x{rendition.height}, {rendition.frames} frames at {rendition.fps} fps, "
              f"{rendition.path.stat().st_size / 1e6:.1f} MB")


def _cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _cores() -> int:
    import os
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    main()
