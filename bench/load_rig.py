"""The production shape on loopback for bench/load.py: a fresh PostgreSQL database, a flushed Redis
database, `gatekeeper init`, gunicorn -k gthread and `gatekeeper worker` processes, all cleaned up."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# huey's own start-up line: the worker takes jobs from the moment it is logged.
WORKER_STARTED = "Huey consumer started"


@contextlib.contextmanager
def fresh_database(admin_url: str):
    """A new PostgreSQL database for this run, dropped (connections and all) at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"gk_load_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def flushed_redis(url: str):
    """The run's Redis database, emptied before and after (only that database)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    client.flushdb()
    try:
        yield
    finally:
        client.flushdb()
        client.close()


@contextlib.contextmanager
def bench_app(env: dict):
    """The app in this process, for preparing records and reading results straight from the database."""
    from gatekeeper import create_app
    from gatekeeper.database import session_factory

    app = create_app({"DATABASE_URL": env["GATEKEEPER_DATABASE_URL"], "JOBS_URL": env["GATEKEEPER_JOBS_URL"]},
                     instance_dir=env["GATEKEEPER_INSTANCE"])
    try:
        yield app
    finally:
        session_factory(app).kw["bind"].dispose()


def init_instance(env: dict) -> None:
    """`gatekeeper init` for the instance and database named in env, as an operator would run it."""
    command = [sys.executable, "-m", "gatekeeper", "init", "--instance", env["GATEKEEPER_INSTANCE"]]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"gatekeeper init failed:\n{done.stdout}{done.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback_env(tmp: Path, database_url: str, jobs_url: str) -> dict:
    """The environment every service process runs with: plain http on loopback needs non-Secure cookies."""
    return {**os.environ, "GATEKEEPER_INSTANCE": str(tmp / "instance"), "GATEKEEPER_DATABASE_URL": database_url,
            "GATEKEEPER_JOBS_URL": jobs_url, "GATEKEEPER_SESSION_COOKIE_SECURE": "false"}


class Services:
    """gunicorn and the worker processes, each in its own process group, all stopped by close()."""

    def __init__(self, args, env: dict, tmp: Path):
        self.args, self.env, self.tmp = args, env, tmp
        self.started: dict[str, tuple[subprocess.Popen, Path]] = {}
        self.base = ""

    def _start(self, name: str, command: list[str]) -> Path:
        log = self.tmp / f"{name}.log"
        with log.open("w") as out:
            self.started[name] = (subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=out,
                                                   stderr=subprocess.STDOUT, start_new_session=True), log)
        return log

    def start_web(self) -> str:
        port = free_port()
        self._start("gunicorn", [sys.executable, "-m", "gunicorn", "-k", "gthread",
                                 "--workers", str(self.args.gunicorn_workers),
                                 "--threads", str(self.args.gunicorn_threads),
                                 "--bind", f"127.0.0.1:{port}", "gatekeeper.wsgi:application"])
        self.base = f"http://127.0.0.1:{port}"
        self.wait_until(lambda: answers(self.base), 90, "gunicorn did not answer")
        return self.base

    def start_workers(self) -> None:
        logs = [self._start(f"worker{i + 1}", [sys.executable, "-m", "gatekeeper", "worker",
                                                "--workers", str(self.args.worker_threads)])
                for i in range(self.args.workers)]
        for log in logs:
            self.wait_until(lambda: WORKER_STARTED in log.read_text(), 60, f"{log.stem} did not start")

    def wait_until(self, predicate, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            dead = [n for n, (p, _) in self.started.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = "\n".join(f"--- {n}\n{log.read_text()[-2000:]}" for n, (_, log) in self.started.items())
                raise RuntimeError(f"{message} (exited: {', '.join(dead) or 'none'})\n{logs}")
            time.sleep(0.2)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by gunicorn (all its processes) and by the workers together; Linux only."""
        groups = {p.pid: "gunicorn" if name == "gunicorn" else "workers" for name, (p, _) in self.started.items()}
        used = {"gunicorn": 0.0, "workers": 0.0}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) in groups:
                    used[groups[int(fields[2])]] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return used

    def close(self) -> None:
        for process, _ in self.started.values():
            stop(process)


def answers(base: str) -> bool:
    # /healthz, not /readyz: readiness includes a worker's heartbeat, and with --analysis-after-burst the
    # workers start only after the burst.
    try:
        return requests.get(f"{base}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
