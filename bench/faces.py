"""Face engine benchmark on ../shared/faces (or $GATEKEEPER_FACES_DIR): detection, recognition, speed.

Run from the repository root: python bench/faces.py [--threads 1]
Prints figures only; targets are judged by reading them, never asserted here.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gatekeeper.faces import geometry, plugins  # noqa: E402
from gatekeeper.faces.detector import PHOTO_PLAN  # noqa: E402
from gatekeeper.faces.engine import analyse_image, analyse_photo, load_picture  # noqa: E402
from gatekeeper.faces.gallery import MARGIN, THRESHOLD, Gallery  # noqa: E402
from tests.attack_factory import DEGRADATIONS, face_panel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RENDITION_SIDE = 2048
SAFETY = 0.10  # the threshold sits at least this far under the lowest impostor distance


def corpus() -> Path:
    explicit = os.environ.get("GATEKEEPER_FACES_DIR")
    path = Path(explicit) if explicit else ROOT.parent / "shared" / "faces"
    if not (path / "MANIFEST.json").exists():
        sys.exit(f"face corpus not found at {path} (set GATEKEEPER_FACES_DIR)")
    return path


def xyxy_to_rows(boxes) -> np.ndarray:
    rows = np.zeros((len(boxes), geometry.ROW_WIDTH), dtype=np.float32)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        rows[i, :4] = (x0, y0, x1 - x0, y1 - y0)
    return rows


def assign(truth: np.ndarray, found: np.ndarray) -> tuple[set[int], set[int]]:
    """Greedy one-to-one pairing of true and found boxes (IoU >= 0.3 or found centre inside truth)."""
    if not len(truth) or not len(found):
        return set(), set()
    overlaps = geometry.iou(truth, found)
    cx = found[:, 0] + found[:, 2] / 2
    cy = found[:, 1] + found[:, 3] / 2
    inside = (cx[None] >= truth[:, 0:1]) & (cx[None] <= truth[:, 0:1] + truth[:, 2:3]) & \
             (cy[None] >= truth[:, 1:2]) & (cy[None] <= truth[:, 1:2] + truth[:, 3:4])
    score = np.where((overlaps >= 0.3) | inside, overlaps + 0.01, 0.0)
    hit_truth, hit_found = set(), set()
    for flat in np.argsort(-score, axis=None):
        t, f = np.unravel_index(flat, score.shape)
        if score[t, f] <= 0:
            break
        if t in hit_truth or f in hit_found:
            continue
        hit_truth.add(int(t))
        hit_found.add(int(f))
    return hit_truth, hit_found


def bench_detection(root: Path, engine) -> dict:
    truth = json.loads((root / "annotations" / "faces_gt.json").read_text())["files"]
    print("\n## Detection (YuNet, all passes)\n")
    print(f"{'file':42} {'faces':>5} {'>=20px':>6} {'found':>5} {'missed':>6} {'FP':>3} {'ms':>6}")
    totals = defaultdict(lambda: [0, 0, 0])  # kind -> [faces>=20, found>=20, false positives]
    missed_all = []
    for name in sorted(truth):
        image = load_picture(root / name)
        start = time.perf_counter()
        found = engine.detector.detect(image)
        ms = (time.perf_counter() - start) * 1000
        faces = xyxy_to_rows([f["box"] for f in truth[name]["faces"]])
        ignore = xyxy_to_rows(truth[name]["ignore"])
        hit_t, hit_f = assign(faces, found)
        rest = np.array([i for i in range(len(found)) if i not in hit_f], dtype=int)
        _, hit_ignored = assign(ignore, found[rest]) if len(rest) else (set(), set())
        false_pos = len(rest) - len(hit_ignored)
        sizes = geometry.face_size(faces) if len(faces) else np.zeros(0)
        big = [i for i in range(len(faces)) if sizes[i] >= 20]
        got_big = [i for i in big if i in hit_t]
        kind = name.split("/")[0]
        totals[kind][0] += len(big)
        totals[kind][1] += len(got_big)
        totals[kind][2] += false_pos
        missed = [i for i in big if i not in hit_t]
        missed_all += [f"{name} face {i} ({sizes[i]:.0f} px)" for i in missed]
        print(f"{name:42} {len(faces):5d} {len(big):6d} {len(got_big):5d} {len(missed):6d} {false_pos:3d} {ms:6.0f}")
    print()
    for kind, (n, got, fp) in sorted(totals.items()):
        rate = f"{100 * got / n:.1f}%" if n else "-"
        print(f"{kind:10} recall (faces >= 20 px) {got}/{n} = {rate}; false positives {fp}")
    if missed_all:
        print("missed: " + "; ".join(missed_all))
    return totals


def main_face(image: np.ndarray, engine) -> np.ndarray | None:
    rows = engine.detector.detect(image)
    if not len(rows):
        return None
    row = rows[int(np.argmax(geometry.face_size(rows)))]
    return engine.recogniser.features(image, row)


def identity_features(root: Path, engine) -> dict[str, list[tuple[str, np.ndarray]]]:
    people: dict[str, list[tuple[str, np.ndarray]]] = defaultdict(list)
    for folder in sorted((root / "identities").iterdir()):
        for path in sorted(folder.iterdir()):
            features = main_face(load_picture(path), engine)
            if features is None:
                print(f"  (no face found in {path.relative_to(root)})")
                continue
            people[folder.name].append((path.name, features))
    return people


def group_probes(root: Path, engine) -> list[tuple[str, str, np.ndarray]]:
    """Labelled faces in group photos, described from the detection that matches the label."""
    truth = json.loads((root / "annotations" / "faces_gt.json").read_text())["files"]
    probes = []
    for name, entry in sorted(truth.items()):
        labelled = [f for f in entry["faces"] if f["identity"]]
        if not labelled:
            continue
        image = load_picture(root / name)
        found = engine.detector.detect(image)
        for face in labelled:
            pair = assign(xyxy_to_rows([face["box"]]), found)[1]
            if pair:
                row = found[next(iter(pair))]
                probes.append((name, face["identity"], engine.recogniser.features(image, row)))
    return probes


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    q = np.percentile(values, [0, 5, 50, 95, 100])
    return f"n={len(values)} min {q[0]:.3f} p5 {q[1]:.3f} median {q[2]:.3f} p95 {q[3]:.3f} max {q[4]:.3f}"


def bench_recognition(root: Path, engine) -> None:
    print("\n## Recognition (SFace, cosine distance)\n")
    people = identity_features(root, engine)
    groups = group_probes(root, engine)
    photos = [(who, name, f) for who, items in people.items() for name, f in items]
    photos += [(who, name, f) for name, who, f in groups]
    genuine, impostor = [], []
    for (a, _, fa), (b, _, fb) in itertools.combinations(photos, 2):
        (genuine if a == b else impostor).append(float(1 - fa @ fb))
    print(f"same person, photo pairs:      {spread(genuine)}")
    print(f"different people, photo pairs: {spread(impostor)}")
    lowest = min(impostor)
    chosen = np.floor((lowest - SAFETY) * 100) / 100
    print(f"lowest impostor distance {lowest:.3f}; threshold = floor(lowest - {SAFETY}) = {chosen:.2f}; "
          f"in use: THRESHOLD {THRESHOLD}, MARGIN {MARGIN}")

    print(f"\n{'k':>2} {'probes':>6} {'true match':>11} {'held':>5} {'false match':>11} {'impostor probes':>15}")
    for k in (1, 2, 3):
        results = run_protocol(people, groups, k)
        print(f"{k:2d} {results['probes']:6d} {results['true']:5d} ({results['tmr']:5.1f}%) "
              f"{results['held']:5d} {results['false']:11d} {results['impostors']:15d}")
        if results["lost"]:
            print("    held genuine: " + "; ".join(results["lost"][:8]))

    print("\nsweep (k=3 and k=1): threshold, margin -> true-match rate, false matches")
    for threshold in (0.40, 0.45, chosen, 0.50, 0.55, 0.60):
        for margin in (0.0, 0.05, MARGIN, 0.12):
            r3, r1 = run_protocol(people, groups, 3, threshold, margin), run_protocol(people, groups, 1, threshold, margin)
            print(f"  {threshold:.2f} {margin:.2f} -> k=3 {r3['tmr']:5.1f}% false {r3['false']}; "
                  f"k=1 {r1['tmr']:5.1f}% false {r1['false']}")
    gaps = gap_of_true_matches(people, groups, 3)
    print(f"k=3, gap from a true match to the next enrolled person: {spread(gaps)}")


def gap_of_true_matches(people, groups, k: int) -> list[float]:
    from gatekeeper.faces.analysis import FaceStatus
    from gatekeeper.faces.gallery import Probe, match_faces

    enrolled = {who: items[:k] for who, items in people.items() if len(items) > k}
    ids = {who: i + 1 for i, who in enumerate(sorted(enrolled))}
    gallery = Gallery([(ids[who], f.astype(np.float32).tobytes()) for who, items in enrolled.items() for _, f in items])
    gaps = []
    for who, items in enrolled.items():
        for _, f in people[who][k:]:
            match = match_faces([Probe(f, 200.0)], gallery, margin=0.0)[0]
            if match.status is FaceStatus.IDENTIFIED and match.margin is not None:
                gaps.append(match.margin)
    return gaps


def bench_small_faces(root: Path, engine) -> None:
    """Distances of faces shrunk to a given size against full-size templates (one per identity)."""
    print("\n## Recognition of small faces (probe shrunk, template full size)\n")
    templates, probes = {}, {}
    for folder in sorted((root / "identities").iterdir()):
        paths = sorted(folder.iterdir())
        first = main_face(load_picture(paths[0]), engine)
        if first is None:
            continue
        templates[folder.name] = first
        if len(paths) > 1:
            probes[folder.name] = load_picture(paths[1])
    names = sorted(templates)
    matrix = np.vstack([templates[n] for n in names])
    for size in (16, 20, 24, 32, 48, 64):
        genuine, impostor, lost = [], [], 0
        for who, image in probes.items():
            rows = engine.detector.detect(image)
            if not len(rows):
                continue
            big = float(geometry.face_size(rows).max())
            factor = min(1.0, size / big)
            small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            found = engine.detector.detect(small)
            if not len(found):
                lost += 1
                continue
            f = engine.recogniser.features(small, found[int(np.argmax(geometry.face_size(found)))])
            distances = 1 - matrix @ f
            for name, d in zip(names, distances):
                (genuine if name == who else impostor).append(float(d))
        print(f"{size:3d} px: same person {spread(genuine)}")
        print(f"        different   {spread(impostor)}; not detected {lost}")


def run_protocol(people, groups, k: int, threshold: float = THRESHOLD, margin: float = MARGIN) -> dict:
    """Enrol the first k photos of every identity with more than k; the rest (and groups) are probes."""
    from gatekeeper.faces.analysis import FaceStatus
    from gatekeeper.faces.gallery import Probe, match_faces

    enrolled = {who: items[:k] for who, items in people.items() if len(items) > k}
    ids = {who: i + 1 for i, who in enumerate(sorted(enrolled))}
    gallery = Gallery([(ids[who], f.astype(np.float32).tobytes()) for who, items in enrolled.items() for _, f in items])
    probes = [(who, name, f) for who, items in people.items() for name, f in (items[k:] if who in enrolled else items)]
    probes += [(who, name, f) for name, who, f in groups]
    true = held = false = genuine_n = impostors = 0
    lost = []
    for who, name, f in probes:
        match = match_faces([Probe(f, 200.0)], gallery, threshold=threshold, margin=margin)[0]
        expected = ids.get(who)
        if expected is None:
            impostors += 1
        else:
            genuine_n += 1
        if match.status is FaceStatus.IDENTIFIED:
            if match.person_id == expected:
                true += 1
            else:
                false += 1
        elif expected is not None:
            held += 1
            lost.append(f"{who}/{name} {match.reason}")
    return {"probes": genuine_n, "true": true, "tmr": 100 * true / max(genuine_n, 1), "held": held,
            "false": false, "impostors": impostors, "lost": lost}


def twelve_megapixel(root: Path) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """A 4000x3000 picture: a group photo enlarged, with 24-48 px faces pasted at the back."""
    base = load_picture(root / "groups" / "fr_obama_and_biden.jpg")
    canvas = cv2.resize(base, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    face = load_picture(root / "identities" / "barack_obama" / "fr_obama.jpg")[50:700, 250:850]
    pasted = []
    for i, size in enumerate([20, 24, 28, 32, 40, 48, 24, 32]):
        factor = size / 231.0  # the face in that crop is about 231 px across
        crop = cv2.resize(face, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        x, y = 200 + i * 450, 120
        canvas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        pasted.append((x, y, size))
    return canvas, pasted


def found_pasted(analysis, pasted) -> int:
    """Pasted faces (x, y, size) with a found face whose centre lies in their pasted crop."""
    count = 0
    for x, y, size in pasted:
        side = 650 * size / 231.0
        count += any(x <= f.box.x + f.box.width / 2 <= x + side and y <= f.box.y + f.box.height / 2 <= y + side
                     for f in analysis.faces)
    return count


def bench_speed(root: Path, engine, threads: int) -> None:
    cv2.setNumThreads(threads)
    print(f"\n## Speed (cv2 threads = {threads})\n")
    image, pasted = twelve_megapixel(root)
    enrol = load_picture(root / "identities" / "barack_obama" / "fr_obama.jpg")
    template = engine.recogniser.features(enrol, engine.detector.detect(enrol)[0]).astype(np.float32)
    gallery = Gallery([(1, template.tobytes())])
    engine.detector.detect(image)  # warm-up
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        analysis = analyse_image(image, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)
        runs.append(time.perf_counter() - start)
    # Cores here are shared: the fastest run is the best estimate of the uncontended cost.
    print(f"12 MP photo (4000x3000), full analysis: fastest {1000 * min(runs):.0f} ms, "
          f"median {1000 * statistics.median(runs):.0f} ms over {len(runs)} runs; {len(analysis.faces)} faces, "
          f"pasted small faces found {found_pasted(analysis, pasted)}/{len(pasted)}")
    row = engine.detector.detect(enrol)[0]
    start = time.perf_counter()
    for _ in range(20):
        engine.recogniser.features(enrol, row)
    print(f"SFace features: {1000 * (time.perf_counter() - start) / 20:.1f} ms per face")
    for label, (w, h) in (("1280 px", (1280, 960)), ("4000 px", (4000, 3000))):
        picture = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        start = time.perf_counter()
        engine.detector.detect(picture)
        print(f"detection alone at {label}: {1000 * (time.perf_counter() - start):.0f} ms")


def rendition_2048(original: Path, target: Path) -> None:
    """A stand-in for the rendition maker: JPEG draft decode, Lanczos to a 2048 px long side, baseline JPEG."""
    with Image.open(original) as picture:
        picture.draft("RGB", (RENDITION_SIDE, RENDITION_SIDE))
        factor = RENDITION_SIDE / max(picture.size)
        size = (round(picture.width * factor), round(picture.height * factor))
        picture.convert("RGB").resize(size, Image.LANCZOS).save(target, "JPEG", quality=90, progressive=False)


def pasted_at_rendition_size(root: Path) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """A 2048x1536 picture with the bench's 20-48 px faces pasted at those sizes in rendition pixels."""
    base = load_picture(root / "groups" / "fr_obama_and_biden.jpg")
    canvas = cv2.resize(base, (2048, 1536), interpolation=cv2.INTER_AREA)
    face = load_picture(root / "identities" / "barack_obama" / "fr_obama.jpg")[50:700, 250:850]
    pasted = []
    for i, size in enumerate([20, 24, 28, 32, 40, 48, 24, 32]):
        crop = cv2.resize(face, None, fx=size / 231.0, fy=size / 231.0, interpolation=cv2.INTER_AREA)
        x, y = 60 + i * 240, 60
        canvas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        pasted.append((x, y, size))
    return canvas, pasted


def bench_rendition_speed(root: Path, engine) -> None:
    """12 MP JPEG -> 2048 px rendition -> full analysis on one core, against one raw 1280x960 YuNet pass."""
    cv2.setNumThreads(1)
    print("\n## Photo rendition speed (cv2 threads = 1)\n")
    image, pasted = twelve_megapixel(root)
    enrol = load_picture(root / "identities" / "barack_obama" / "fr_obama.jpg")
    template = engine.recogniser.features(enrol, engine.detector.detect(enrol)[0]).astype(np.float32)
    gallery = Gallery([(1, template.tobytes())])
    raw = cv2.resize(image, (1280, 960), interpolation=cv2.INTER_AREA)
    with tempfile.TemporaryDirectory() as scratch:
        original, rendition = Path(scratch) / "original_12mp.jpg", Path(scratch) / "rendition_2048.jpg"
        cv2.imwrite(str(original), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        making = []
        for _ in range(3):
            start = time.perf_counter()
            rendition_2048(original, rendition)
            making.append(time.perf_counter() - start)
        analyse_photo(rendition, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)  # warm-up
        yunet, full = [], []
        for _ in range(7):
            start = time.perf_counter()
            engine.detector.detect_once(raw)
            yunet.append(time.perf_counter() - start)
            start = time.perf_counter()
            analysis = analyse_photo(rendition, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)
            full.append(time.perf_counter() - start)
        picture = load_picture(rendition)
        height, width = picture.shape[:2]
        parts = {"decode": [], "upright pass": [], "degraded pass": [], "turned passes": []}
        for _ in range(3):
            start = time.perf_counter()
            load_picture(rendition)
            parts["decode"].append(time.perf_counter() - start)
            start = time.perf_counter()
            engine.detector.detect_once(picture)
            parts["upright pass"].append(time.perf_counter() - start)
            start = time.perf_counter()
            engine.detector._degraded(picture, width, height, PHOTO_PLAN)
            parts["degraded pass"].append(time.perf_counter() - start)
            start = time.perf_counter()
            for angle in PHOTO_PLAN.angles:
                engine.detector._turned(picture, width, height, angle, PHOTO_PLAN)
            parts["turned passes"].append(time.perf_counter() - start)
    recognisable = sum(f.box.width >= 24 and f.box.height >= 24 for f in analysis.faces)
    row = engine.detector.detect(enrol)[0]
    start = time.perf_counter()
    for _ in range(10):
        engine.recogniser.features(enrol, row)
    per_face = (time.perf_counter() - start) / 10
    print("where the time goes (medians): " + ", ".join(
        f"{name} {1000 * statistics.median(spans):.0f} ms" for name, spans in parts.items())
        + f", features {1000 * per_face:.0f} ms x {recognisable} recognisable faces")
    scale = RENDITION_SIDE / 4000
    scaled = [(round(x * scale), round(y * scale), size * scale) for x, y, size in pasted]
    print(f"making the rendition (Pillow draft + Lanczos + JPEG, not counted below): "
          f"median {1000 * statistics.median(making):.0f} ms")
    print(f"raw YuNet, one pass over 1280x960: median {1000 * statistics.median(yunet):.0f} ms, "
          f"min {1000 * min(yunet):.0f} ms")
    print(f"2048 px rendition, decode + full analysis: median {1000 * statistics.median(full):.0f} ms, "
          f"min {1000 * min(full):.0f} ms = {statistics.median(full) / statistics.median(yunet):.1f}x the raw pass "
          f"(medians; target <= 4x); {len(analysis.faces)} faces")
    raw = statistics.median(yunet)
    print("the parts alone, as multiples of the raw pass: " + ", ".join(
        f"{name} {statistics.median(spans) / raw:.2f}x" for name, spans in parts.items())
        + f", features {per_face * recognisable / raw:.2f}x")
    print(f"12 MP pasted faces (20-48 px there, {min(s for *_, s in scaled):.0f}-{max(s for *_, s in scaled):.0f} px "
          f"in the rendition) found: {found_pasted(analysis, scaled)}/{len(scaled)}")
    canvas, at_size = pasted_at_rendition_size(root)
    direct = analyse_image(canvas, detector=engine.detector, recogniser=engine.recogniser, gallery=gallery)
    print(f"the same faces pasted at 20-48 px into a 2048 px picture found: "
          f"{found_pasted(direct, at_size)}/{len(at_size)} (sizes {[s for *_, s in at_size]})")


def bench_degraded(root: Path, engine) -> None:
    """Faces a person sees in degraded pictures, with and without the degraded pass; what it adds elsewhere."""
    print("\n## Degraded faces (PassPlan.degraded_scale)\n")
    plain = dataclasses.replace(PHOTO_PLAN, degraded_scale=None)
    photos = [min(f for f in p.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))
              for p in sorted((root / "identities").iterdir()) if p.is_dir()]
    for label, degrade in DEGRADATIONS.items():
        with_pass = without = 0
        for photo in photos:
            image = cv2.cvtColor(np.asarray(degrade(face_panel(photo))), cv2.COLOR_RGB2BGR)
            with_pass += len(engine.detector.detect(image)) > 0
            without += len(engine.detector.detect(image, plan=plain)) > 0
        print(f"face {label:32} found {with_pass}/{len(photos)} with the degraded pass, {without}/{len(photos)} without")
    added, scores, pictures = defaultdict(int), [], 0
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png") or "annotations" in path.parts:
            continue
        image = load_picture(path)
        pictures += 1
        before, after = engine.detector.detect(image, plan=plain), engine.detector.detect(image)
        new = after[len(before):]  # the degraded pass only appends faces the other passes did not find
        added[path.relative_to(root).parts[0]] += len(new)
        scores += [float(r[geometry.SCORE]) for r in new]
    print(f"faces the degraded pass adds over {pictures} corpus pictures: {dict(added)}"
          + (f"; their scores {min(scores):.2f}-{max(scores):.2f}" if scores else "")
          + f" (kept at {PHOTO_PLAN.degraded_score} and above; the detection table above marks false ones)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1: one core)")
    parser.add_argument("--only", choices=["detection", "recognition", "small", "speed", "rendition", "degraded"], default=None)
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    root = corpus()
    engine = plugins.build_engine({"DETECTOR": "yunet", "RECOGNISER": "sface"})
    print(f"corpus {root}; engine {engine.name}; OpenCV {cv2.__version__}")
    if args.only in (None, "detection"):
        bench_detection(root, engine)
    if args.only in (None, "recognition"):
        bench_recognition(root, engine)
    if args.only in (None, "small"):
        bench_small_faces(root, engine)
    if args.only in (None, "speed"):
        bench_speed(root, engine, args.threads)
    if args.only in (None, "rendition"):
        bench_rendition_speed(root, engine)
    if args.only in (None, "degraded"):
        bench_degraded(root, engine)


if __name__ == "__main__":
    main()
