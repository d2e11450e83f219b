"""Jobs really run on a consumer: the embedded SQLite queue, and Redis when configured."""
from __future__ import annotations

import os
import threading
import uuid

import pytest
from flask import Flask

from gatekeeper.jobs.backends import backend_for
from gatekeeper.jobs.runner import Jobs, TaskSpec, start_embedded_consumer

REDIS_ENV = "GATEKEEPER_TEST_REDIS_URL"


def flaky_then_fine(fail_times: int, done: threading.Event, attempts: list):
    def run(app, **kwargs):
        attempts.append(kwargs)
        if len(attempts) <= fail_times:
            raise RuntimeError("storage briefly unavailable")
        done.set()

    return run


def run_through(url: str) -> list:
    done, attempts = threading.Event(), []
    # A queue of its own: other tests may be using the same Redis at the same time.
    jobs = Jobs(Flask("test"), backend_for(url).make_huey(url, f"test-{uuid.uuid4().hex[:12]}"),
                {"flaky": TaskSpec(flaky_then_fine(2, done, attempts), retries=3, retry_delay=0)})
    jobs.huey.flush()
    consumer = start_embedded_consumer(jobs, workers=1)
    try:
        jobs.enqueue("flaky", item=9)
        assert done.wait(30), f"job did not finish; attempts: {attempts}"
    finally:
        consumer.stop(graceful=True)
        jobs.huey.flush()
    return attempts


def test_a_failing_job_is_retried_until_it_succeeds_on_the_embedded_queue(tmp_path):
    attempts = run_through(f"sqlite:///{tmp_path / 'jobs.db'}")
    assert attempts == [{"item": 9}] * 3


def test_the_same_job_runs_on_redis():
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"{REDIS_ENV} is not set: Redis tests skipped")
    assert run_through(url) == [{"item": 9}] * 3


def test_the_give_up_hook_runs_only_after_the_last_retry(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    attempts, given_up, done = [], [], threading.Event()

    def always_fails(app, **kwargs):
        attempts.append(kwargs)
        raise RuntimeError("quarantine unreachable")

    def hook(app, error, **kwargs):
        given_up.append((error, kwargs, len(attempts)))
        done.set()

    # A queue of its own: other tests may be using the same Redis at the same time.
    jobs = Jobs(Flask("test"), backend_for(url).make_huey(url, f"test-{uuid.uuid4().hex[:12]}"),
                {"doomed": TaskSpec(always_fails, retries=2, retry_delay=0, on_give_up=hook)})
    consumer = start_embedded_consumer(jobs, workers=1)
    try:
        jobs.enqueue("doomed", item=5)
        assert done.wait(30)
    finally:
        consumer.stop(graceful=True)
    assert given_up == [("RuntimeError: quarantine unreachable", {"item": 5}, 3)]
