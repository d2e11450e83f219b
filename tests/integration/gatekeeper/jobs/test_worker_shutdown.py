"""SIGTERM to a real `gatekeeper worker` stops it gracefully, and the job it was running is run by
the next worker; on the embedded SQLite queue and on Redis (db 15 on this machine, when it answers)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from gatekeeper.instance import read_instance_id
from gatekeeper.jobs.backends import backend_for
from gatekeeper.jobs.runner import Jobs, TaskSpec

ROOT = Path(__file__).resolve().parents[4]
REDIS_URL = "redis://127.0.0.1:6379/15"

# The real command, with one extra job whose progress the test can see and whose length it controls.
WORKER = r"""
import os, sys, time
from pathlib import Path
from gatekeeper.jobs import tasks
from gatekeeper.jobs.runner import TaskSpec

marks = Path(os.environ["TEST_MARKS"])

def slow(app, *, n):
    (marks / f"started-{os.getpid()}").write_text(str(n))
    if os.environ.get("TEST_FAST") != "1":
        time.sleep(120)
    (marks / f"done-{os.getpid()}").write_text(str(n))

tasks.TASKS["test_slow"] = TaskSpec(slow, retries=0)
from gatekeeper.jobs import runner
runner.SHUTDOWN_GRACE_S = 1.0  # serve has no --grace; the test need not wait the full 8 s
from gatekeeper.cli import main
if sys.argv[2] == "worker":
    main(["worker", "--instance", sys.argv[1], "--nice", "0", "--grace", "1", "--workers", "1"], prog_name="gatekeeper")
else:
    main(["serve", "--instance", sys.argv[1], "--port", sys.argv[3]], prog_name="gatekeeper")
"""


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["worker on sqlite", "worker on redis", "serve on sqlite"])
def jobs_url_and_command(request, tmp_path):
    """Where jobs wait, and which command consumes them: `serve` embeds a consumer for SQLite only."""
    command, queue = request.param.split(" on ")
    if queue == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}", command
    if not redis_answers():
        pytest.skip(f"no Redis at {REDIS_URL}")
    return REDIS_URL, command


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_worker(instance: Path, marks: Path, jobs_url: str, *, fast: bool, log: Path,
                 command: str = "worker") -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TEST_MARKS": str(marks), "TEST_FAST": "1" if fast else "0",
           "GATEKEEPER_JOBS_URL": jobs_url}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(instance), command, str(free_port())], cwd=ROOT,
                            env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_for(predicate, seconds: float, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen; worker log:\n{log.read_text()}")


def test_sigterm_stops_a_worker_gracefully_and_the_next_worker_runs_its_job(tmp_path, jobs_url_and_command):
    from gatekeeper.cli import main

    jobs_url, command = jobs_url_and_command
    instance = tmp_path / "instance"
    assert CliRunner().invoke(main, ["--instance", str(instance), "init"]).exit_code == 0
    marks = tmp_path / "marks"
    marks.mkdir()
    # The instance's own queue: each instance's workers take only the jobs named by its id.
    queue = read_instance_id(instance)
    jobs = Jobs(Flask("test"), backend_for(jobs_url).make_huey(jobs_url, queue),
                {"test_slow": TaskSpec(lambda app, **kw: None)})
    jobs.huey.flush()
    jobs.enqueue("test_slow", n=7)

    first_log = tmp_path / "first.log"
    first = start_worker(instance, marks, jobs_url, fast=False, log=first_log, command=command)
    try:
        wait_for(lambda: (marks / f"started-{first.pid}").exists(), 60, "the first worker starting the job",
                 first, first_log)
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0, first_log.read_text()
    finally:
        if first.poll() is None:
            first.kill()
    assert not (marks / f"done-{first.pid}").exists()
    assert "interrupted by shutdown and is queued again" in first_log.read_text()

    second_log = tmp_path / "second.log"
    second = start_worker(instance, marks, jobs_url, fast=True, log=second_log, command=command)
    try:
        wait_for(lambda: (marks / f"done-{second.pid}").exists(), 60, "the next worker running the job",
                 second, second_log)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0, second_log.read_text()
    finally:
        if second.poll() is None:
            second.kill()
    assert (marks / f"done-{second.pid}").read_text() == "7"
    assert len(jobs.huey.pending()) == 0
    jobs.huey.flush()
