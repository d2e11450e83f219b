"""Load: concurrent uploads from paired tablets to gunicorn, analysed by `gatekeeper worker` processes over Redis.

Starts the production shape on loopback (gunicorn -k gthread, PostgreSQL, Redis, worker processes) on a
fresh database gk_load_<random> and Redis db 14 (flushed; both cleaned up at the end), pairs tablets
through the /device page, signs staff in over HTTP, then sends every upload at once, in chunks as the tablets' page does (real photos from
the face corpus, sanitised first as the issue asks, or as they are with --as-is; plus short 720p H.264
clips made here, tagged with a place and a time) and reports accept latency, time
until nothing is left "analysing", errors, and whether every accepted upload is in the queue exactly
once with the audit chain intact. Targets: p95 accept <= 1 s, nothing lost, nothing duplicated.
Exits 1 when a check fails (a missed latency target is reported, not an error).

    GATEKEEPER_FACES_DIR=../shared/faces /work/venv/bin/python bench/load.py \
        [--uploads 50] [--videos 3] [--tablets 5] [--workers 2] [--worker-threads 1] \
        [--gunicorn-workers 2] [--gunicorn-threads 4] [--analysis-after-burst] [--as-is] \
        [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/14]
"""
from __future__ import annotations

import argparse
import contextlib
import math
import mimetypes
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from load_rig import LOOPBACK, ROOT, Services, bench_app, flushed_redis, fresh_database, init_instance, loopback_env

sys.path.insert(0, str(ROOT))

FACES = Path(os.environ.get("GATEKEEPER_FACES_DIR", ROOT.parent / "shared" / "faces"))
# Nothing of the accounts' names or emails in it ("load", "staff"), which the password rules refuse.
PASSWORD = "copper kettle on the window sill"
REQUEST_TIMEOUT_S = 120
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Tablet:
    name: str
    email: str
    code: str
    session: requests.Session = field(default_factory=requests.Session)
    csrf: str = ""


@dataclass
class Outcome:
    source: str
    tablet: str
    status: int | None  # None: no answer (connection error or timeout)
    seconds: float
    public_id: str | None = None
    error: str = ""


def main() -> int:
    args = parse_args()
    for url in (args.admin_url, args.redis_url):
        if urlsplit(url).hostname not in LOOPBACK:
            sys.exit(f"refusing a non-loopback service: {urlsplit(url).hostname}")
    if not FACES.is_dir():
        sys.exit(f"face corpus not found at {FACES} (set GATEKEEPER_FACES_DIR)")
    # Ctrl-C and a plain kill both unwind through the finally blocks below.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gk-load-")))
        database_url = stack.enter_context(fresh_database(args.admin_url))
        stack.enter_context(flushed_redis(args.redis_url))
        env = loopback_env(tmp, database_url, args.redis_url)
        init_instance(env)
        app = stack.enter_context(bench_app(env))
        tablets = prepare_accounts(app, args.tablets)
        photos = pick_photos(args.uploads)
        if not args.as_is:
            photos = sanitised_copies(photos, tmp / "photos")
        uploads = photos + make_clips(tmp / "clips", args.videos, args.video_seconds)
        service = stack.enter_context(contextlib.closing(Services(args, env, tmp)))
        base = service.start_web()
        if not args.analysis_after_burst:
            service.start_workers()
        for tablet in tablets:
            pair_and_sign_in(base, tablet)
        before = service.cpu() | {"client": time.process_time()}
        outcomes, burst_start, burst_s = fire(base, tablets, uploads)
        cpu = {k: v - before[k] for k, v in (service.cpu() | {"client": time.process_time()}).items()}
        if args.analysis_after_burst:
            service.start_workers()
        accepted = [o.public_id for o in outcomes if o.status == 201]
        analysed_s, stuck = wait_analysed(app, len(accepted), burst_start, args.analysis_timeout)
        checks = check_queue(app, accepted)
        report(args, outcomes, burst_s, cpu, analysed_s, stuck, checks, item_latencies(app))
        return 0 if checks["ok"] and not stuck else 1


def interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50, help="photos to upload")
    parser.add_argument("--videos", type=int, default=3, help="720p H.264 clips to upload besides the photos")
    parser.add_argument("--video-seconds", type=float, default=3.0)
    parser.add_argument("--tablets", type=int, default=5, help="paired tablets, one staff member each")
    parser.add_argument("--workers", type=int, default=2, help="`gatekeeper worker` processes")
    parser.add_argument("--worker-threads", type=int, default=1, help="job threads in each worker process")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument("--analysis-after-burst", action="store_true",
                        help="start the workers only once every upload is answered (accept path alone; "
                             "time to analysed then includes their start-up)")
    parser.add_argument("--as-is", action="store_true",
                        help="send the corpus photos as they are (their own colour profiles and metadata) "
                             "instead of sanitised copies")
    parser.add_argument("--analysis-timeout", type=float, default=300.0, help="seconds to wait for analysis")
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if min(args.uploads, args.tablets, args.workers, args.worker_threads) < 1 or args.videos < 0:
        parser.error("counts must be at least 1 (videos at least 0)")
    return args


# --- accounts, tablets, media --------------------------------------------------------------------

def prepare_accounts(app, count: int) -> list[Tablet]:
    """Staff members with accounts, and a one-time pairing code per tablet, straight through the services."""
    from consent_db import accounts, devices, records
    from consent_db.audit import CLI
    from gatekeeper.database import transaction
    from gatekeeper.web.services.passwords import hasher_for

    hasher = hasher_for(app.config)
    tablets = []
    with transaction(app) as db:
        setting = records.default_setting(db).id
        for i in range(1, count + 1):
            person = records.add_person(db, records.check_person(kind="staff", first_name=f"Staff{i}",
                                                                 surname="Load"), setting_id=setting, actor=CLI)
            email = f"staff{i}@load.test"
            accounts.create_account(db, setting_id=setting, email=email, password=PASSWORD, role="staff",
                                    person_id=person.id, hasher=hasher)
            code = devices.issue_pairing_code(db, setting_id=setting, actor=CLI)
            tablets.append(Tablet(name=f"Load tablet {i}", email=email, code=code))
    return tablets


def csrf_from(response: requests.Response) -> str:
    found = CSRF.search(response.text)
    if response.status_code != 200 or not found:
        raise RuntimeError(f"{response.url}: {response.status_code}, no CSRF token on the page")
    return found.group(1)


def pair_and_sign_in(base: str, tablet: Tablet) -> None:
    """Pair through /device with the code, sign in through /signin, keep the upload page's CSRF token."""
    s = tablet.session
    token = csrf_from(s.get(f"{base}/device", timeout=30))
    paired = s.post(f"{base}/device/pair", data={"code": tablet.code, "name": tablet.name, "csrf_token": token},
                    allow_redirects=False, timeout=30)
    if paired.status_code != 302 or "gk_device" not in s.cookies:
        raise RuntimeError(f"pairing {tablet.name} failed: {paired.status_code}")
    token = csrf_from(s.get(f"{base}/signin", timeout=30))
    signed = s.post(f"{base}/signin", data={"email": tablet.email, "password": PASSWORD, "csrf_token": token},
                    allow_redirects=False, timeout=30)
    if signed.status_code != 302:
        raise RuntimeError(f"sign-in of {tablet.email} failed: {signed.status_code}")
    page = s.get(f"{base}/staff/upload", allow_redirects=False, timeout=30)
    tablet.csrf = csrf_from(page)


def pick_photos(count: int) -> list[Path]:
    """Group and identity photos taken alternately, as they are; the corpus repeats past its size."""
    groups = sorted((FACES / "groups").glob("*"))
    identities = sorted((FACES / "identities").rglob("*.*"))
    mixed = [p for pair in zip(groups, identities[::3]) for p in pair]
    rest = [p for p in identities if p not in mixed]
    pool = [p for p in mixed + rest if p.suffix.lower() in {".jpg", ".jpeg", ".png"}]
    return [pool[i % len(pool)] for i in range(count)]


def sanitised_copies(photos: list[Path], folder: Path) -> list[Path]:
    """Each distinct photo through the sanitiser once; the list keeps its order and repeats."""
    from gatekeeper.media import sanitize_file

    folder.mkdir(parents=True, exist_ok=True)
    done: dict[Path, Path] = {}
    for i, path in enumerate(dict.fromkeys(photos)):
        done[path] = sanitize_file(path, folder, stem=f"photo{i:03d}").path
    return [done[p] for p in photos]


def make_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    """Short 720p H.264 MP4s with a corpus face drifting across, tagged with a place and a time."""
    import av
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    faces = sorted((FACES / "identities" / "barack_obama").glob("*.jpg"))
    clips = []
    for i in range(count):
        face = Image.open(faces[i % len(faces)]).convert("RGB")
        face.thumbnail((360, 360))
        path = folder / f"clip{i + 1}.mp4"
        with av.open(str(path), "w", format="mp4", options={"movflags": "use_metadata_tags"}) as out:
            out.metadata.update({"creation_time": "2024-05-01T09:30:00Z",
                                 "com.apple.quicktime.location.ISO6709": "+51.5007-000.1246/"})
            stream = out.add_stream("libx264", rate=30)
            stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
            for n in range(int(seconds * 30)):
                canvas = Image.new("RGB", (1280, 720), (40 + n % 60, 90, 140))
                canvas.paste(face, (100 + n * 6 % 800, 180))
                frame = av.VideoFrame.from_ndarray(np.asarray(canvas), format="rgb24")
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        clips.append(path)
    return clips


# --- the burst -----------------------------------------------------------------------------------

def send_in_chunks(base: str, tablet: Tablet, name: str, body: bytes) -> requests.Response:
    """One upload as the tablets' page sends it (start, every chunk, finish); the first refusal is returned.

    The plain form takes only UPLOAD_FORM_MAX_BYTES (4 MiB), so a burst of videos must go in chunks."""
    headers = {"Accept": "application/json", "X-CSRFToken": tablet.csrf}

    def call(method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{base}/staff/upload{path}", cookies=tablet.session.cookies,
                                timeout=REQUEST_TIMEOUT_S, **kwargs)

    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    started = call("POST", "/start", json={"name": name, "size": len(body), "type": mime}, headers=headers)
    if started.status_code != 201:
        return started
    upload = started.json()
    step = int(upload["chunk_bytes"])
    for index, offset in enumerate(range(0, len(body), step)):
        sent = call("PUT", f"/{upload['id']}/chunks/{index}?offset={offset}", data=body[offset:offset + step],
                    headers={**headers, "Content-Type": "application/octet-stream"})
        if sent.status_code not in (200, 201):
            return sent
    return call("POST", f"/{upload['id']}/finish", json={}, headers=headers)


def fire(base: str, tablets: list[Tablet], uploads: list[Path]) -> tuple[list[Outcome], float, float]:
    """Send every upload at once (one thread each, released together); returns outcomes, start, duration."""
    gate = threading.Barrier(len(uploads) + 1)

    def send(index: int, path: Path) -> Outcome:
        tablet = tablets[index % len(tablets)]
        body = path.read_bytes()
        gate.wait(timeout=60)
        start = time.perf_counter()
        try:
            answer = send_in_chunks(base, tablet, path.name, body)
        except requests.RequestException as exc:
            return Outcome(path.name, tablet.name, None, time.perf_counter() - start, error=exc.__class__.__name__)
        seconds = time.perf_counter() - start
        try:
            data = answer.json()
        except ValueError:
            data = {"message": answer.text[:120]}
        return Outcome(path.name, tablet.name, answer.status_code, seconds, data.get("id"),
                       "" if answer.status_code == 201 else str(data.get("message")))

    with ThreadPoolExecutor(max_workers=len(uploads)) as pool:
        futures = [pool.submit(send, i, p) for i, p in enumerate(uploads)]
        try:
            gate.wait(timeout=60)
        except BaseException:
            gate.abort()  # no sender stays parked at the barrier when the run is interrupted
            raise
        burst_start = time.perf_counter()
        outcomes = [f.result() for f in futures]
    return outcomes, burst_start, time.perf_counter() - burst_start


def wait_analysed(app, accepted: int, burst_start: float, timeout: float) -> tuple[float, int]:
    """Seconds from the burst's start until no item is received or analysing; and how many still were."""
    from sqlalchemy import func, select

    from consent_db.models import ItemState, MediaItem
    from gatekeeper.database import session_factory

    waiting = (ItemState.RECEIVED, ItemState.ANALYSING)
    deadline = time.perf_counter() + timeout
    while True:
        with session_factory(app)() as db:
            total = db.scalar(select(func.count()).select_from(MediaItem))
            left = db.scalar(select(func.count()).select_from(MediaItem).where(MediaItem.state.in_(waiting)))
        if total >= accepted and left == 0:
            return time.perf_counter() - burst_start, 0
        if time.perf_counter() > deadline:
            return time.perf_counter() - burst_start, left
        time.sleep(0.25)


# --- checks and figures --------------------------------------------------------------------------

def check_queue(app, accepted: list[str]) -> dict:
    """Every accepted upload in the queue exactly once, nothing else there, and the audit chain whole."""
    from sqlalchemy import func, select

    from consent_db.audit import verify_chain
    from consent_db.models import AuditEvent, MediaFace, MediaItem
    from gatekeeper.database import session_factory

    with session_factory(app)() as db:
        stored = Counter(db.scalars(select(MediaItem.public_id)))
        faces = db.scalar(select(func.count()).select_from(MediaFace))
        uploaded = Counter(s.removeprefix("media:") for s in db.scalars(
            select(AuditEvent.subject).where(AuditEvent.tag == "media:uploaded")))
        states = Counter(str(s) for s in db.scalars(select(MediaItem.state)))
        failed = len(list(db.scalars(select(MediaItem.id).where(MediaItem.analysis_failed.is_(True)))))
        chain = verify_chain(db)
    answered = Counter(accepted)
    checks = {
        "items stored": sum(stored.values()),
        "accepted ids answered twice": sum(1 for n in answered.values() if n > 1),
        "accepted ids missing": sum(1 for i in answered if stored[i] == 0),
        "accepted ids stored twice": sum(1 for i in answered if stored[i] > 1),
        "items nobody was told of": sum(1 for i in stored if i not in answered),
        "upload audit entries != 1": sum(1 for i in answered if uploaded[i] != 1),
        "audit chain": f"ok, {chain.checked} rows" if chain.ok else f"BROKEN at {chain.first_bad_id}: {chain.problem}",
        "states": ", ".join(f"{k} {v}" for k, v in sorted(states.items())),
        "faces found / analysis failed": f"{faces} / {failed}",
    }
    checks["ok"] = chain.ok and checks["items stored"] == len(accepted) and not any(
        checks[k] for k in ("accepted ids answered twice", "accepted ids missing", "accepted ids stored twice",
                            "items nobody was told of", "upload audit entries != 1"))
    return checks


def item_latencies(app) -> list[float]:
    """Per item, seconds from being recorded to being analysed, from the database's own timestamps."""
    from sqlalchemy import select

    from consent_db.models import MediaItem
    from gatekeeper.database import session_factory

    with session_factory(app)() as db:
        rows = db.execute(select(MediaItem.received_at, MediaItem.analysed_at)).all()
    return [(done - got).total_seconds() for got, done in rows if done is not None]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least q of all values at or below it.
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def report(args, outcomes: list[Outcome], burst_s: float, cpu: dict[str, float], analysed_s: float, stuck: int,
           checks: dict, per_item: list[float]) -> None:
    accept = [o.seconds for o in outcomes if o.status == 201]
    photos = [o.seconds for o in outcomes if o.status == 201 and not o.source.endswith(".mp4")]
    videos = [o.seconds for o in outcomes if o.status == 201 and o.source.endswith(".mp4")]
    errors = Counter(o.status or o.error for o in outcomes if o.status != 201)
    p95 = pct(accept, 0.95)
    rows = [
        ("uploads sent (photos + videos)", f"{len(outcomes)} ({args.uploads} + {args.videos}) from "
                                           f"{args.tablets} tablets, all at once; photos "
                                           f"{'as they are' if args.as_is else 'sanitised first'}"),
        ("service", f"gunicorn gthread {args.gunicorn_workers}x{args.gunicorn_threads}, "
                    f"{args.workers} worker(s) x {args.worker_threads} thread(s)"
                    f"{' started after the burst' if args.analysis_after_burst else ''}, PostgreSQL, Redis"),
        ("accepted (201)", f"{len(accept)}"),
        ("errors", ", ".join(f"{k}: {v}" for k, v in errors.items()) or "none"),
        ("accept p50 / p95 / max", f"{pct(accept, .5):.2f} / {p95:.2f} / {max(accept, default=float('nan')):.2f} s"
                                   f"  (target p95 <= 1 s: {'met' if p95 <= 1 else 'MISSED'})"),
        ("accept p50 photos / videos", f"{pct(photos, .5):.2f} / {pct(videos, .5):.2f} s"),
        ("burst answered in", f"{burst_s:.1f} s"),
        ("CPU used during the burst", f"gunicorn {cpu['gunicorn']:.1f} s "
                                      f"({cpu['gunicorn'] / len(outcomes) * 1000:.0f} ms an upload), "
                                      f"workers {cpu['workers']:.1f} s, this client {cpu['client']:.1f} s"),
        ("time to analysed (all)", f"{analysed_s:.1f} s from the burst's start"
                                   + (f"; {stuck} STILL WAITING at timeout" if stuck else "")),
        ("per item received->analysed p50 / p95", f"{pct(per_item, .5):.1f} / {pct(per_item, .95):.1f} s"),
    ]
    rows += [(k, str(v)) for k, v in checks.items() if k != "ok"]
    rows.append(("lost / duplicated / chain", "none / none / ok" if checks["ok"] else "CHECK FAILED"))
    width = max(len(k) for k, _ in rows)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load bench: {args.uploads} photos + {args.videos} videos, {os.cpu_count()} CPU cores "
          f"(load average now {load})")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for o in outcomes:
        if o.status != 201:
            print(f"  error: {o.source} from {o.tablet}: {o.status or 'no answer'}: {o.error}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: services stopped, database dropped, Redis db flushed")
