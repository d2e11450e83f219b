"""After a crash: the analysis an item was waiting for runs again (queued once), and the plaintext the
dead process left in the work folder is removed, at start-up and by the minute sweep."""
from __future__ import annotations

import subprocess
import sys

import pytest

from consent_db import migrate, records
from consent_db.models import ItemKind, ItemState, MediaItem
from consent_db.timeutil import now
from gatekeeper import create_app
from gatekeeper.database import session_factory, transaction
from gatekeeper.doctor import ensure_folders
from gatekeeper.app.context import gate_context
from gatekeeper.jobs.leases import LEASE_S, Lease, lease_key
from gatekeeper.jobs.recovery import ANALYSE_JOB, GRACE_S, recover
from gatekeeper.jobs.runner import jobs_of
from gatekeeper.jobs.tasks import recover_after_crashes
from gatekeeper.processes import HOST


@pytest.fixture
def app(instance_dir, app_database_url):
    """An app whose jobs wait in the embedded SQLite queue, as under `gatekeeper serve`."""
    config = {"TESTING": True, "JOBS_URL": f"sqlite:///{instance_dir / 'jobs.db'}"}
    if app_database_url:
        config["DATABASE_URL"] = app_database_url
    application = create_app(config, instance_dir=str(instance_dir))
    migrate.upgrade(session_factory(application).kw["bind"])
    ensure_folders(application)
    yield application
    session_factory(application).kw["bind"].dispose()


def add_item(app, public_id: str, state=ItemState.ANALYSING) -> str:
    with transaction(app) as db:
        setting = records.ensure_default_setting(db, name="Acorns")
        db.add(MediaItem(setting_id=setting.id, public_id=public_id, kind=ItemKind.PHOTO, mime="image/jpeg",
                         extension="jpg", content_sha256="0" * 64, size_bytes=10, width=4, height=4,
                         state=state, received_at=now()))
    return public_id


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def queued(app) -> list[str]:
    return sorted(kwargs["public_id"] for kwargs in jobs_of(app).waiting(ANALYSE_JOB))


def test_an_analysis_running_when_its_process_was_killed_is_queued_again_once(app):
    item = add_item(app, "a" * 32)
    add_item(app, "b" * 32, state=ItemState.HELD)
    jobs_of(app).huey.storage.put_data(lease_key(ANALYSE_JOB, {"public_id": item}),
                                       Lease(HOST, dead_pid(), "killed", now().timestamp() + LEASE_S).to_json().encode())

    first = recover_after_crashes(app)
    second = recover_after_crashes(app)

    assert first.requeued == [item] and second.requeued == []
    assert queued(app) == [item]


def test_an_analysing_item_whose_job_was_lost_is_queued_after_the_grace(app):
    item = add_item(app, "c" * 32)
    ctx = gate_context(app)
    start = now().timestamp()

    assert recover(jobs_of(app), ctx.sessions, ctx.work_dir.parent, now=start).noted == [item]
    assert recover(jobs_of(app), ctx.sessions, ctx.work_dir.parent, now=start + GRACE_S).requeued == [item]
    assert recover(jobs_of(app), ctx.sessions, ctx.work_dir.parent, now=start + 3 * GRACE_S).requeued == []
    assert queued(app) == [item]


def test_start_up_removes_the_work_folder_a_killed_process_left_with_a_raw_upload_in_it(app):
    from gatekeeper.cli.server import _recover

    root = gate_context(app).work_dir.parent
    crashed = root / f"proc-{HOST}.{dead_pid()}.0123abcd"
    (crashed / "tmpx").mkdir(parents=True)
    (crashed / "tmpx" / "upload").write_bytes(b"12 MP original with GPS")

    _recover(app)

    assert not crashed.exists()
    assert [p.name for p in root.iterdir()] == [gate_context(app).work_dir.name]


def test_the_minute_sweep_recovers_too(app):
    from gatekeeper.jobs.tasks import minute_sweep

    item = add_item(app, "d" * 32)
    jobs_of(app).huey.storage.put_data(lease_key(ANALYSE_JOB, {"public_id": item}),
                                       Lease("another-machine", 1, "t", now().timestamp() - 1).to_json().encode())

    minute_sweep(app)

    assert queued(app) == [item]


def test_the_minute_sweep_still_recovers_while_a_channel_is_down(app, monkeypatch):
    from gatekeeper.jobs.tasks import minute_sweep
    from gatekeeper.publishers.base import PublisherUnavailable

    def channel_down(ctx, **kwargs):
        raise PublisherUnavailable("the website's folder is on a disk that is full")

    # The minute's first step, draining the outbox, takes copies down; here it finds the channel down.
    monkeypatch.setattr("gatekeeper.jobs.tasks.drain", channel_down)
    item = add_item(app, "e" * 32)
    jobs_of(app).huey.storage.put_data(lease_key(ANALYSE_JOB, {"public_id": item}),
                                       Lease(HOST, dead_pid(), "killed", now().timestamp() + LEASE_S).to_json().encode())

    with pytest.raises(PublisherUnavailable):
        minute_sweep(app)

    assert queued(app) == [item]
