"""Benchmark: peak memory of `gatekeeper serve` while three clients fetch one large video at once.

Makes a temporary instance, seals --mb megabytes of random bytes into its quarantine as a video
item, starts `gatekeeper serve` on a free port, signs a Manager in (a session row and its signed
cookie, as the tests do), and has three clients download /media/<id>/file in parallel. Prints
the server's resident memory before the downloads and its high-water mark (VmHWM, reset just before them) after them.

To compare with code from before streaming, point --code at a checkout of that commit:

    git archive 8e6efcb | tar -x -C /tmp/before
    /work/main/.venv/bin/python bench/media_memory.py --code /tmp/before

    /work/main/.venv/bin/python bench/media_memory.py [--mb 500] [--clients 3]
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def prepare(instance: Path, megabytes: int) -> tuple[str, str, str]:
    """An initialised instance holding one sealed video; (item id, cookie, its plaintext SHA-256)."""
    from consent_db import accounts, migrate, records
    from sqlalchemy import select

    from consent_db.models import Account, ItemKind, ItemState, MediaItem, SessionStage
    from consent_db.timeutil import now
    from gatekeeper import create_app
    from gatekeeper.database import session_factory, transaction
    from gatekeeper.doctor import ensure_folders
    from gatekeeper.app.context import gate_context
    from gatekeeper.instance import create_secrets
    from gatekeeper.web.current import SESSION_KEY
    from gatekeeper.web.services import sessions

    create_secrets(instance)
    app = create_app({"JOBS_URL": "memory://"}, instance_dir=str(instance))
    migrate.upgrade(session_factory(app).kw["bind"])
    ensure_folders(app)
    public_id = "be" * 16
    digest = hashlib.sha256()
    with tempfile.TemporaryDirectory(dir=instance) as scratch:
        clip = Path(scratch) / "clip.mp4"
        with clip.open("wb") as out:
            for _ in range(megabytes):
                block = os.urandom(MB)
                digest.update(block)
                out.write(block)
        gate_context(app).store.put(public_id, clip)
    with transaction(app) as db:
        setting = records.ensure_default_setting(db, name="Bench")
        accounts.create_first_manager(db, email="bench@example.org", setting_id=setting.id)
        manager = db.scalars(select(Account).where(Account.email == "bench@example.org")).one()
        db.add(MediaItem(setting_id=setting.id, public_id=public_id, kind=ItemKind.VIDEO, mime="video/mp4",
                         extension="mp4", content_sha256=digest.hexdigest(), size_bytes=megabytes * MB,
                         width=1920, height=1080, state=ItemState.HELD, received_at=now()))
        token = sessions.start(db, manager, stage=SessionStage.READY, device_id=None, at=now(),
                               lifetime=timedelta(hours=1))
    cookie = app.session_interface.get_signing_serializer(app).dumps({SESSION_KEY: token})
    session_factory(app).kw["bind"].dispose()
    return public_id, f"{app.config['SESSION_COOKIE_NAME']}={cookie}", digest.hexdigest()


def fetch(port: int, path: str, cookie: str, results: list, index: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    digest, received = hashlib.sha256(), 0
    while piece := response.read(256 * 1024):
        digest.update(piece)
        received += len(piece)
    results[index] = (response.status, received, digest.hexdigest())
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="size of the video in MiB")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT, help="source tree the server runs (default: this one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gk-media-bench-") as folder:
        instance = Path(folder) / "instance"
        public_id, cookie, expected = prepare(instance, args.mb)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(args.code), "GATEKEEPER_SESSION_COOKIE_SECURE": "false"}
        server = subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--instance", str(instance),
                                   "--port", str(port)], cwd=args.code, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.2)
            time.sleep(1.0)  # let start-up settle before taking the baseline
            # Reset the high-water mark to the current size, so it measures the downloads only.
            Path(f"/proc/{server.pid}/clear_refs").write_text("5")
            before = status_kib(server.pid, "VmRSS")
            hwm_before = status_kib(server.pid, "VmHWM")
            results: list = [None] * args.clients
            threads = [threading.Thread(target=fetch, args=(port, f"/media/{public_id}/file", cookie, results, i))
                       for i in range(args.clients)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - start
            peak = status_kib(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(30)
    ok = all(r is not None and r[0] == 200 and r[2] == expected for r in results)
    print(f"code: {args.code}  video: {args.mb} MiB sealed, {args.clients} parallel clients, {seconds:.1f} s")
    print(f"all downloads complete and intact: {ok}  {[(r[0], r[1]) if r else None for r in results]}")
    print(f"server RSS before: {before / 1024:.0f} MiB (high-water reset to {hwm_before / 1024:.0f} MiB)")
    print(f"server peak RSS during the downloads: {peak / 1024:.0f} MiB; added: {(peak - before) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
