"""Video analysis speed: a generated 10 s 1080p30 H.264 clip -> 1280 px rendition -> every-frame analysis.

Run from the repository root: python bench/video.py [--runs 3] [--threads 2]
Until the rendition maker lands, the rendition is encoded here (PyAV, libx264, yuv420p,
constant rate). The floor is the time PyAV takes to decode every frame of the 1080p clip.
Prints figures only; targets are judged by reading them, never asserted here.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.faces import corpus  # noqa: E402
from gatekeeper.faces import plugins  # noqa: E402
from gatekeeper.faces.detector import VIDEO_PLAN  # noqa: E402
from gatekeeper.faces.engine import load_picture  # noqa: E402
from gatekeeper.faces.gallery import Gallery, template_from_photo  # noqa: E402
from gatekeeper.faces.video import analyse_video  # noqa: E402
from gatekeeper.media import rendition as rendition_maker  # noqa: E402

SOURCE = (1920, 1080)
RENDITION = (1280, 720)
RATE = 30
SECONDS = 10
# (identity photo, crop rows, crop cols, crop width in the 1080p clip): faces of about 150, 90 and 55 px.
PEOPLE = [
    ("identities/barack_obama/fr_obama.jpg", (40, 720), (250, 850), 240),
    ("identities/joe_biden/fr_biden.jpg", (100, 650), (350, 780), 150),
    ("identities/robert_downey_jr/insight_d1.jpeg", (100, 1300), (0, 1000), 90),
]


def machine() -> str:
    model, flags = platform.processor() or "?", ""
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name"))
        found = next(line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags"))
        flags = " ".join(f for f in found if f.startswith(("avx", "fma", "sse4")))
    except (OSError, StopIteration):
        pass
    return (f"CPU {model}; flags {flags}\nPython {platform.python_version()}, OpenCV {cv2.__version__}, "
            f"NumPy {np.__version__}, PyAV {av.__version__}")


def make_clip(path: Path, root: Path) -> None:
    """A panning, grainy background (every pixel changes, as with a hand-held tablet) and three walking faces."""
    rng = np.random.default_rng(7)
    width, height = SOURCE
    background = cv2.resize(rng.integers(40, 215, (270, 700, 3), dtype=np.uint8), (width + 600, height),
                            interpolation=cv2.INTER_LINEAR)
    crops = []
    for name, (y0, y1), (x0, x1), crop_width in PEOPLE:
        crop = load_picture(root / name)[y0:y1, x0:x1]
        crops.append(cv2.resize(crop, (crop_width, int(crop_width * crop.shape[0] / crop.shape[1])),
                                interpolation=cv2.INTER_AREA))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "18"}
        for i in range(RATE * SECONDS):
            frame = background[:, 2 * i:2 * i + width].copy()
            for k, crop in enumerate(crops):
                h, w = crop.shape[:2]
                x = int(300 + k * 550 + 200 * np.sin(i / 40 + k))
                y = int(250 + k * 150 + 60 * np.cos(i / 30 + k))
                frame[y:y + h, x:x + w] = crop
            grain = rng.integers(-5, 6, (height, width, 1), dtype=np.int16)
            frame = np.clip(frame.astype(np.int16) + grain, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def decode_all(path: Path, threads: str = "AUTO") -> int:
    """Frames decoded, with PyAV's threading of that name (its own default is SLICE)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = threads
        return sum(1 for _ in container.decode(stream))


def render(source: Path, folder: Path) -> Path:
    """The gate's own rendition maker, as the analysis job runs it (1280 px long side)."""
    for old in folder.glob("*"):
        old.unlink()
    return rendition_maker.render(source, folder, video_side=RENDITION[0]).path


def breakdown(rendition: Path, engine) -> dict[str, list[float]]:
    """Detector passes and one feature computation on 30 frames of the rendition."""
    parts: dict[str, list[float]] = {"decode+convert": [], "upright pass": [], "degraded pass": [],
                                     "turned passes": [], "one face's features": []}
    with av.open(str(rendition)) as container:
        stream = container.streams.video[0]
        frames = container.decode(stream)
        for _ in range(30):
            start = time.perf_counter()
            image = next(frames).to_ndarray(format="bgr24")
            parts["decode+convert"].append(time.perf_counter() - start)
            height, width = image.shape[:2]
            start = time.perf_counter()
            rows = engine.detector.detect_once(image)
            parts["upright pass"].append(time.perf_counter() - start)
            start = time.perf_counter()
            engine.detector._degraded(image, width, height, VIDEO_PLAN)
            parts["degraded pass"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for angle in VIDEO_PLAN.angles:
                engine.detector._turned(image, width, height, angle, VIDEO_PLAN)
            parts["turned passes"].append(time.perf_counter() - start)
            if len(rows):
                start = time.perf_counter()
                engine.recogniser.features(image, rows[0])
                parts["one face's features"].append(time.perf_counter() - start)
    return parts


def timed(action, runs: int) -> list[float]:
    spans = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        spans.append(time.perf_counter() - start)
    return spans


def show(label: str, spans: list[float]) -> str:
    return f"{label}: median {statistics.median(spans):.2f} s, min {min(spans):.2f} s over {len(spans)} runs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="OpenCV threads (default 2: both cores)")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    root = corpus()
    engine = plugins.build_engine({"DETECTOR": "yunet", "RECOGNISER": "sface"})
    gallery = Gallery([(1, template_from_photo(load_picture(root / PEOPLE[0][0]), engine))])
    print(machine())
    print(f"cv2 threads {args.threads}; PyAV decodes on its own thread beside the detector")
    with tempfile.TemporaryDirectory() as scratch:
        clip, out = Path(scratch) / "clip_1080p30.mp4", Path(scratch) / "rendition"
        out.mkdir()
        make_clip(clip, root)
        print(f"clip: {SOURCE[0]}x{SOURCE[1]} {RATE} fps {SECONDS} s, {clip.stat().st_size / 1e6:.1f} MB "
              f"({decode_all(clip)} frames)")
        frame_threads = timed(lambda: decode_all(clip), args.runs)
        default_decode = timed(lambda: decode_all(clip, "SLICE"), args.runs)
        # The floor is the faster of the two ways PyAV decodes: the stricter target.
        floor = min(frame_threads, default_decode, key=statistics.median)
        rendering = timed(lambda: render(clip, out), args.runs)
        rendition = render(clip, out)
        results = []
        analysing = timed(lambda: results.append(analyse_video(rendition, detector=engine.detector,
                                                               recogniser=engine.recogniser, gallery=gallery)),
                          args.runs)
        parts = breakdown(rendition, engine)
    analysis = results[-1]
    print(show("PyAV decodes every 1080p frame, frame threads on every core", frame_threads))
    print(show("PyAV decodes every 1080p frame, its default threading (slices)", default_decode))
    print(f"floor: the faster of the two, median {statistics.median(floor):.2f} s")
    print(show("render (gatekeeper.media.rendition: 1080p -> 1280x720 H.264)", rendering))
    print(show("analysis (every frame of the rendition)", analysing))
    total_median = statistics.median(rendering) + statistics.median(analysing)
    total_min = min(rendering) + min(analysing)
    print(f"render + analysis = {total_median / statistics.median(floor):.1f}x the floor (medians), "
          f"{total_min / min(floor):.1f}x (mins); analysis alone {statistics.median(analysing) / statistics.median(floor):.1f}x")
    frames = RATE * SECONDS
    print(f"analysis per frame: {1000 * statistics.median(analysing) / frames:.1f} ms (median)")
    print(f"faces: {[(f.status.value, f.person_id, len(f.times)) for f in analysis.faces]}")
    print("notes: " + analysis.notes[-1])
    print("per frame, where the time goes (medians over 30 frames): " + ", ".join(
        f"{name} {1000 * statistics.median(spans):.1f} ms" for name, spans in parts.items()))
    # What any every-frame analysis costs at least with this detector: one upright pass per frame
    # (timed with cv2 on every core), before rendering, turned passes or recognition.
    upright = frames * statistics.median(parts["upright pass"])
    print(f"lower bound: {frames} upright passes alone take {upright:.2f} s = "
          f"{upright / statistics.median(floor):.1f}x the floor")


if __name__ == "__main__":
    main()
