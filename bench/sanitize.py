"""Benchmark: our sanitiser against the Pillow floor, exiftool -all= and mat2 on the same files.

Makes (once, cached in bench/out/) a 12-megapixel JPEG with EXIF orientation 6 and GPS, a
12-megapixel HEIC and a 10-second 1080p H.264 MOV with location tags, then times each tool
several times and prints medians, ratios and whether each output is clean and upright.

    /work/venv/bin/python bench/sanitize.py [--runs 5]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatekeeper.media import Refused, sanitize_file, verify_file  # noqa: E402
from gatekeeper.media.pictures import JPEG_QUALITY  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
W, H = 4000, 3000
MARK = b"BENCH-GPS-MARK"


def upright_picture() -> Image.Image:
    """A photo-like picture (smooth gradients and fine noise) with a red block top-left."""
    rng = np.random.default_rng(1)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    base = np.stack([x / W * 200, y / H * 180, (x + y) / (W + H) * 220], axis=-1)
    base += rng.normal(0, 6, (H, W, 1)).astype(np.float32)
    base[:400, :400] = (230, 20, 20)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "BenchCam"
    exif[0x013B] = MARK.decode()
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 2.7131), 3: "W", 4: (0.0, 7.0, 28.0)})
    return exif.tobytes()


def make_inputs() -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    jpeg, heic, mov = OUT / "photo_orientation_6.jpg", OUT / "photo.heic", OUT / "clip_1080p_10s.mov"
    if not jpeg.exists() or not heic.exists():
        picture = upright_picture()
        picture.transpose(Image.Transpose.ROTATE_90).save(jpeg, quality=92, exif=exif_bytes(6))
        import pillow_heif

        # Quality 50 gives about the size of a 12-megapixel iPad HEIC (2 to 4 MB) for this picture.
        pillow_heif.from_pillow(picture).save(heic, quality=50, exif=exif_bytes(1))
    if not mov.exists():
        make_clip(mov)
    return {"JPEG 12 MP, orientation 6": jpeg, "HEIC 12 MP": heic, "MOV H.264 1080p 10 s": mov}


def make_clip(path: Path) -> None:
    import av

    rng = np.random.default_rng(2)
    with av.open(str(path), "w", format="mov", options={"movflags": "use_metadata_tags"}) as out:
        out.metadata.update({"com.apple.quicktime.location.ISO6709": "+51.5007-000.1246/",
                             "com.apple.quicktime.make": MARK.decode(), "creation_time": "2024-05-01T10:00:00Z"})
        video = out.add_stream("libx264", rate=30, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt, video.bit_rate = 1920, 1080, "yuv420p", 16_000_000
        video.set_display_rotation(270)
        audio = out.add_stream("aac", rate=48000)
        base = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
        for i in range(300):
            frame = av.VideoFrame.from_ndarray(np.roll(base, i * 7, axis=1), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for start in range(0, 480_000, 1024):
            af = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            af.sample_rate, af.pts = 48000, start
            out.mux(audio.encode(af))
        out.mux(audio.encode(None))


def timed_round_robin(runners: dict, runs: int) -> dict[str, tuple[float | None, object]]:
    """Median seconds per tool, running the tools in turn each round so load spikes hit all alike."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    results: dict[str, object] = {}
    for _ in range(runs):
        for name, fn in runners.items():
            if isinstance(results.get(name), Exception):
                continue
            start = time.perf_counter()
            try:
                results[name] = fn()
            except Exception as exc:  # noqa: BLE001 - a refusing tool is a result, not a crash
                results[name] = exc
                continue
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]) if times[name] else None, results[name]) for name in runners}


def ours(src: Path, work: Path):
    def run():
        folder = Path(tempfile.mkdtemp(dir=work))
        return sanitize_file(src, folder, stem="out").path
    return run


def floor(src: Path, work: Path):
    def run():
        target = work / "floor.jpg"
        with Image.open(src) as im:
            im.load()
            im.save(target, format="JPEG", quality=JPEG_QUALITY)
        return target
    return run


def exiftool(src: Path, work: Path):
    def run():
        target = work / f"exiftool{src.suffix}"
        target.unlink(missing_ok=True)
        subprocess.run(["exiftool", "-q", "-all=", "-o", str(target), str(src)], check=True, capture_output=True)
        return target
    return run


def mat2(src: Path, work: Path):
    def run():
        folder = Path(tempfile.mkdtemp(dir=work))
        copy = folder / src.name
        shutil.copyfile(src, copy)
        done = subprocess.run(["mat2", str(copy)], capture_output=True, text=True)
        cleaned = [p for p in folder.iterdir() if ".cleaned" in p.name]
        if done.returncode != 0 or not cleaned:
            raise RuntimeError((done.stdout + done.stderr).strip().splitlines()[-1] if (done.stdout + done.stderr).strip()
                               else "refused")
        return cleaned[0]
    return run


def judge(path: Path) -> str:
    """Clean (our verifier) and, for photos, upright as a viewer shows it (red block top-left)."""
    verdict = []
    try:
        verify_file(path)
        verdict.append("clean")
    except Refused as exc:
        if exc.reason.startswith("The cleaned file still holds "):
            verdict.append("NOT clean: " + exc.reason[len("The cleaned file still holds "):][:60])
        else:  # HEIC or MOV kept as such: ask exiftool what is left
            verdict.append(_exiftool_leftovers(path))
    if MARK in path.read_bytes():
        verdict.append("marker left")
    if path.suffix.lower() in (".jpg", ".jpeg", ".heic"):
        from PIL import ImageOps
        import pillow_heif

        pillow_heif.register_heif_opener()
        with Image.open(path) as im:
            shown = ImageOps.exif_transpose(im).convert("RGB")
            r, g, b = shown.getpixel((50, 50))
            verdict.append("upright" if r > 180 and g < 80 and b < 80 else "SIDEWAYS")
    return ", ".join(verdict)


def _exiftool_leftovers(path: Path) -> str:
    import json

    if shutil.which("exiftool") is None:
        return "not checked"
    tags = json.loads(subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee3", "-u", str(path)],
                                     capture_output=True, text=True).stdout)[0]
    groups = sorted({k.split(":")[0] for k in tags if ":" in k} - {"ExifTool", "System", "File", "Composite"})
    personal = [g for g in groups if g.startswith(("IFD", "Exif", "GPS", "XMP", "Keys", "UserData", "ItemList"))]
    handlers = {v for k, v in tags.items() if k.endswith("HandlerDescription")} - {"VideoHandler", "SoundHandler"}
    left = personal + (["handler names"] if handlers else [])
    return ("NOT clean: " + ", ".join(left)) if left else "no personal groups per exiftool"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    inputs = make_inputs()
    have = {tool: shutil.which(tool) is not None for tool in ("exiftool", "mat2")}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for label, src in inputs.items():
            size_mb = src.stat().st_size / 1e6
            tools = [("ours", ours)]
            if src.suffix == ".jpg":
                tools.append(("Pillow floor", floor))
            tools += [(t, f) for t, f in (("exiftool -all=", exiftool), ("mat2", mat2)) if have[t.split()[0]]]
            measured = timed_round_robin({name: make(src, work) for name, make in tools}, args.runs)
            ours_time = measured["ours"][0]
            for name, (seconds, result) in measured.items():
                if seconds is None:
                    rows.append((label, name, None, None, f"refused/failed: {str(result)[:70]}"))
                    continue
                note = judge(result)
                if name == "ours" and src.suffix == ".mov":
                    note += f", remux {size_mb / seconds:.0f} MB/s ({size_mb:.1f} MB)"
                rows.append((label, name, seconds, seconds / ours_time if ours_time else None, note))
    print(f"{'file':27} {'tool':16} {'median s':>9} {'x ours':>7}  output")
    for label, name, seconds, ratio, note in rows:
        s = f"{seconds:9.3f}" if seconds is not None else f"{'-':>9}"
        r = f"{ratio:7.2f}" if ratio is not None else f"{'-':>7}"
        print(f"{label:27} {name:16} {s} {r}  {note}")
    jpeg_rows = {name: s for label, name, s, _, _ in rows if label.startswith("JPEG")}
    if jpeg_rows.get("Pillow floor"):
        print(f"\nJPEG: ours / Pillow floor = {jpeg_rows['ours'] / jpeg_rows['Pillow floor']:.2f} (target <= 1.30)")


if __name__ == "__main__":
    main()
