"""Benchmark: how long the `gatekeeper` command takes to start, and `gatekeeper sanitize` as a whole
process against a Pillow-only process doing the least any sanitiser must (decode, re-encode).

Targets (issue 12): `gatekeeper --help` under 0.3 s; sanitize of twenty 12 MP photos at most 1.3x
the Pillow floor process. Makes (once, cached in bench/out/cli/) twenty 12-megapixel JPEGs with
EXIF orientation 6 and GPS, like a tablet's portrait photos.

    /work/main/.venv/bin/python bench/cli_startup.py [--help-runs 15] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "cli"
PHOTOS = 20

# The floor: what any sanitiser must at least do with each photo, in a fresh interpreter.
FLOOR = """
import sys
from pathlib import Path
from PIL import Image
out = Path(sys.argv[1])
for i, name in enumerate(sys.argv[2:]):
    with Image.open(name) as im:
        im.load()
        im.save(out / f"{i}.jpg", format="JPEG", quality={quality})
"""


def make_photos() -> list[Path]:
    """Twenty different 12 MP JPEGs (orientation 6, GPS), made once."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = [OUT / f"photo_{i:02d}.jpg" for i in range(PHOTOS)]
    if all(p.exists() for p in paths):
        return paths
    sys.path.insert(0, str(ROOT / "bench"))
    from PIL import Image

    from sanitize import exif_bytes, upright_picture  # bench/sanitize.py

    base = upright_picture()
    for i, path in enumerate(paths):
        picture = base.copy()
        picture.paste((20 * i % 255, 90, 255 - 10 * i), (600 + 100 * i, 600, 700 + 100 * i, 700))
        picture.transpose(Image.Transpose.ROTATE_90).save(path, quality=92, exif=exif_bytes(6))
    return paths


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def wall(command: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; appends its CPU seconds (user + system) to cpu when given.

    On a shared machine CPU time is the steadier figure: waiting for a core counts in wall time only.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=env(), stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds


def figures(times: list[float]) -> str:
    return f"median {statistics.median(times):.3f} s, min {min(times):.3f} s over {len(times)} runs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--help-runs", type=int, default=15)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from PIL import __version__ as pillow_version

    from gatekeeper.media.pictures import JPEG_QUALITY

    print(f"Python {platform.python_version()}, Pillow {pillow_version}, {os.cpu_count()} CPUs")
    gatekeeper = [sys.executable, "-m", "gatekeeper"]
    wall(gatekeeper + ["--help"])  # warm the file cache once
    help_cpu: list[float] = []
    help_times = [wall(gatekeeper + ["--help"], help_cpu) for _ in range(args.help_runs)]
    bare = [wall([sys.executable, "-c", "pass"]) for _ in range(args.help_runs)]
    print(f"gatekeeper --help: {figures(help_times)} (target < 0.300 s); CPU {figures(help_cpu)}")
    print(f"  (a bare interpreter starting: {figures(bare)})")

    photos = [str(p) for p in make_photos()]
    floor_script = FLOOR.replace("{quality}", str(JPEG_QUALITY))
    ours_times, floor_times, ours_cpu, floor_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.runs):
            # Alternate, so a busy moment on a shared machine hits both alike.
            for times, cpu, command in ((ours_times, ours_cpu, gatekeeper + ["sanitize", "--out-dir"]),
                                        (floor_times, floor_cpu, [sys.executable, "-c", floor_script])):
                out = Path(scratch) / "out"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                times.append(wall(command + [str(out), *photos], cpu))
    print(f"gatekeeper sanitize, {PHOTOS} x 12 MP JPEG: wall {figures(ours_times)}; CPU {figures(ours_cpu)}")
    print(f"Pillow floor process, same files:        wall {figures(floor_times)}; CPU {figures(floor_cpu)}")
    for label, ours, floor in (("wall", ours_times, floor_times), ("CPU", ours_cpu, floor_cpu)):
        print(f"sanitize / floor ({label}): median {statistics.median(ours) / statistics.median(floor):.2f}x, "
              f"min {min(ours) / min(floor):.2f}x (target <= 1.30x)")


if __name__ == "__main__":
    main()
