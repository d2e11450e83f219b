"""Job backends chosen by JOBS_URL, and jobs run by name inside an app context."""
from __future__ import annotations

import pytest
from flask import Flask, current_app

from gatekeeper.jobs.backends import REDIS_CONNECT_TIMEOUT_S, JobsMisconfigured, RedisBackend, SqliteBackend, backend_for
from gatekeeper.jobs.runner import Jobs, TaskSpec, UnknownJob
from gatekeeper.jobs.backends import MemoryBackend


@pytest.mark.parametrize("url, kind", [
    ("sqlite:////tmp/jobs.db", "SqliteBackend"),
    ("redis://127.0.0.1:6379/0", "RedisBackend"),
    ("memory://", "MemoryBackend"),
])
def test_the_url_scheme_picks_the_backend(url, kind):
    assert type(backend_for(url)).__name__ == kind


def test_an_unknown_scheme_is_refused_with_the_known_ones():
    with pytest.raises(JobsMisconfigured, match="known: memory, redis, rediss, sqlite"):
        backend_for("amqp://127.0.0.1/")


def test_a_sqlite_url_without_a_path_is_refused():
    with pytest.raises(JobsMisconfigured, match="sqlite:///path"):
        SqliteBackend().make_huey("sqlite://")


def test_a_job_runs_with_its_arguments_inside_the_app():
    app = Flask("test")
    seen = []
    jobs = Jobs(app, MemoryBackend().make_huey("memory://"),
                {"note": TaskSpec(lambda a, **kw: seen.append((a is current_app._get_current_object(), kw)))})
    jobs.enqueue("note", item=3)
    assert seen == [(True, {"item": 3})]


def test_an_unknown_job_name_is_refused():
    jobs = Jobs(Flask("test"), MemoryBackend().make_huey("memory://"), {})
    with pytest.raises(UnknownJob):
        jobs.enqueue("nothing")


def test_a_redis_url_that_cannot_be_read_is_refused_without_its_password():
    with pytest.raises(JobsMisconfigured, match="not a usable Redis URL") as caught:
        backend_for("redis://:s3cret@queue.local:port/0").make_huey("redis://:s3cret@queue.local:port/0")
    assert "s3cret" not in str(caught.value)


def test_an_unknown_scheme_is_refused_without_repeating_the_url():
    with pytest.raises(JobsMisconfigured) as caught:
        backend_for("amqp://user:s3cret@broker/")
    assert "s3cret" not in str(caught.value)


def test_redis_connections_give_up_after_a_few_seconds():
    huey = RedisBackend().make_huey("redis://127.0.0.1:6379/0")
    assert huey.storage.pool.connection_kwargs["socket_connect_timeout"] == REDIS_CONNECT_TIMEOUT_S


def test_a_command_on_an_unusable_jobs_url_says_so_in_one_line(instance_dir, monkeypatch):
    from click.testing import CliRunner

    from gatekeeper.cli import main

    monkeypatch.setenv("GATEKEEPER_JOBS_URL", "amqp://broker/")
    result = CliRunner().invoke(main, ["doctor", "--instance", str(instance_dir)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["error: JOBS_URL: unknown scheme 'amqp' (known: memory, redis, rediss, sqlite)"]


def test_a_job_that_fails_for_good_is_handed_to_its_give_up_hook():
    app = Flask("test")
    given_up = []

    def broken(app, **kwargs):
        raise OSError("disk unplugged")

    jobs = Jobs(app, MemoryBackend().make_huey("memory://"), {"broken": TaskSpec(
        broken, retries=0, on_give_up=lambda a, error, **kw: given_up.append((error, kw)))})
    jobs.enqueue("broken", item="abc")
    assert given_up == [("OSError: disk unplugged", {"item": "abc"})]


def test_a_job_without_a_hook_just_fails():
    jobs = Jobs(Flask("test"), MemoryBackend().make_huey("memory://"),
                {"broken": TaskSpec(lambda app: 1 / 0, retries=0)})
    jobs.enqueue("broken")  # huey logs it; nothing else is asked of us
