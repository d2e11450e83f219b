"""Two instances (two settings) on one Redis and one PostgreSQL server: each worker consumes only its own
instance's queue, and /readyz says when an instance's queue has no worker."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatekeeper import create_app
from gatekeeper.jobs.runner import jobs_of
from gatekeeper.jobs.tasks import JobName
from tests.conftest import PG_ENV, REDIS_ENV, fresh_postgres
from tests.integration.gatekeeper.cli.instance_data import Operator

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set: Redis tests skipped")
    return url


@pytest.fixture
def two_databases():
    admin = os.environ.get(PG_ENV)
    if not admin:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    with fresh_postgres(admin) as first, fresh_postgres(admin) as second:
        yield first, second


def instance(folder: Path, database_url: str, redis_url: str) -> Path:
    folder.mkdir()
    (folder / "config.toml").write_text(f'database_url = "{database_url}"\njobs_url = "{redis_url}"\n')
    Operator(folder)("init")
    return folder


def start_worker(folder: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GATEKEEPER_WORKER_HEARTBEAT_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "gatekeeper", "--instance", str(folder), "worker",
                             "--workers", "1", "--nice", "0"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def stop(worker: subprocess.Popen) -> str:
    worker.send_signal(signal.SIGTERM)
    try:
        _, err = worker.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        _, err = worker.communicate()
    return err


# Generous: a worker's start-up (imports, recovery) took over a minute on a loaded two-core test machine.
def wait_until(condition, seconds: float = 300) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def worker_failing(app) -> bool:
    return "worker" in app.test_client().get("/readyz").json["failing"]


def test_each_worker_takes_only_its_own_instances_jobs(tmp_path, redis_url, two_databases):
    one = instance(tmp_path / "one", two_databases[0], redis_url)
    two = instance(tmp_path / "two", two_databases[1], redis_url)
    app_one = create_app({"WORKER_STALE_SECONDS": 3}, instance_dir=str(one))
    app_two = create_app({"WORKER_STALE_SECONDS": 3}, instance_dir=str(two))
    queue_one, queue_two = jobs_of(app_one).huey, jobs_of(app_two).huey
    assert queue_one.name != queue_two.name
    assert worker_failing(app_one) and worker_failing(app_two), "no worker has consumed either queue yet"

    worker_two = start_worker(two)
    try:
        assert wait_until(lambda: not worker_failing(app_two)), "instance two's worker never said it was alive"
        assert worker_failing(app_one), "instance two's worker is not instance one's"
        jobs_of(app_one).enqueue(JobName.DRAIN_OUTBOX)
        time.sleep(3)
        assert queue_one.pending_count() == 1, "instance two's worker took instance one's job"
        worker_one = start_worker(one)
        try:
            assert wait_until(lambda: queue_one.pending_count() == 0), "instance one's own worker never took it"
        finally:
            stop(worker_one)
    finally:
        stop(worker_two)
    assert wait_until(lambda: worker_failing(app_two), 60), "/readyz noticed the worker stopped"
