"""Worker heartbeats and the readiness check built on them: stale or missing only matters where a
separate worker must consume the queue."""
from __future__ import annotations

import socket
import time

import pytest
from huey import MemoryHuey

from gatekeeper import create_app
from gatekeeper.doctor import check_worker
from gatekeeper.jobs.heartbeat import beat, last_beat, needs_worker, seconds_since_beat
from gatekeeper.jobs.runner import EXTENSION


@pytest.mark.parametrize("url, needed", [("redis://127.0.0.1:6379/0", True), ("rediss://queue.example:6380/1", True),
                                          ("sqlite:///jobs.db", False), ("memory://", False)])
def test_only_a_redis_queue_needs_a_separate_worker(url, needed):
    assert needs_worker({"JOBS_URL": url}) is needed


def test_a_beat_is_read_back_with_its_age():
    huey = MemoryHuey("q")
    assert last_beat(huey) is None and seconds_since_beat(huey) is None
    beat(huey, clock=lambda: 1000.0)
    assert last_beat(huey) == 1000.0
    assert seconds_since_beat(huey, clock=lambda: 1042.5) == 42.5
    assert last_beat(huey) == 1000.0, "reading does not use the beat up"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_app(instance_dir):
    """An app configured for Redis, whose queue storage is swapped for memory (no server needed)."""
    app = create_app({"TESTING": True, "JOBS_URL": f"redis://127.0.0.1:{closed_port()}/0", "WORKER_STALE_SECONDS": 90},
                     instance_dir=str(instance_dir))
    app.extensions[EXTENSION].huey = MemoryHuey("test-queue")
    return app


def test_with_redis_and_no_worker_ever_the_worker_check_fails(redis_app):
    finding = check_worker(redis_app)
    assert not finding.ok and "no worker has ever consumed queue 'test-queue'" in finding.detail


def test_a_fresh_beat_passes_and_a_stale_one_fails(redis_app):
    beat(redis_app.extensions[EXTENSION].huey, clock=lambda: time.time() - 10)
    assert check_worker(redis_app).ok
    beat(redis_app.extensions[EXTENSION].huey, clock=lambda: time.time() - 600)
    finding = check_worker(redis_app)
    assert not finding.ok and "is 'gatekeeper worker' running?" in finding.detail


def test_readyz_names_the_missing_worker(redis_app):
    response = redis_app.test_client().get("/readyz")
    assert response.status_code == 503 and "worker" in response.json["failing"]


def test_an_unreachable_queue_fails_the_check_without_crashing(instance_dir):
    app = create_app({"TESTING": True, "JOBS_URL": f"redis://127.0.0.1:{closed_port()}/0"},
                     instance_dir=str(instance_dir))
    finding = check_worker(app)
    assert not finding.ok and "cannot read the worker heartbeat" in finding.detail


@pytest.mark.parametrize("url", ["memory://", "sqlite:///{folder}/jobs.db"])
def test_embedded_and_immediate_jobs_need_no_worker(instance_dir, url):
    app = create_app({"TESTING": True, "JOBS_URL": url.format(folder=instance_dir)}, instance_dir=str(instance_dir))
    finding = check_worker(app)
    assert finding.ok and "no separate worker" in finding.detail
