"""Every web door that can end consent writes one outbox event, and the worker's drain takes the copy down;
a worker killed between the commit and the drain loses nothing."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from consent_db.models import OutboxRow
from gatekeeper import create_app
from gatekeeper.database import session_factory
from gatekeeper.jobs.tasks import drain_outbox, minute_sweep

from .test_web_staff_and_queue import item_id, published_files  # noqa: F401 - item_id is a fixture
from tests.web_world import post

from .test_web_people_records import confirm


# What a takedown or a withdrawal tells people: consequences of the change, written as their own events.
NOTICES = {"item_waiting", "item_published", "item_taken_down", "consent_withdrawn"}


def outbox_rows(app, *, notices: bool = False) -> list[OutboxRow]:
    with session_factory(app)() as session:
        rows = list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))
    return rows if notices else [row for row in rows if row.kind not in NOTICES]


def publish(app, world, manager, parent, item_id):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id})
    assert len(published_files(app)) == 1


def test_a_paper_form_withdrawal_is_one_event_and_takes_the_copy_down(app, world, manager, parent, item_id):
    publish(app, world, manager, parent, item_id)
    before = len(outbox_rows(app))
    response = post(app, manager, f"/manager/people/{world.child_id}/paper-form",
                    {"purpose": world.website_id, "decision": "refuse", "guardian_id": world.guardian_id,
                     "evidence": "form in the office file"})
    assert response.status_code == 302
    [event] = outbox_rows(app)[before:]
    assert event.kind == "consent_changed" and event.payload["ended"] and event.done_at is not None
    assert published_files(app) == []
    told = {row.kind for row in outbox_rows(app, notices=True) if row.kind in NOTICES}
    assert {"consent_withdrawn", "item_taken_down"} <= told


def test_a_leaving_date_set_on_the_page_takes_the_copy_down_at_once(app, world, manager, parent, item_id):
    publish(app, world, manager, parent, item_id)
    before = len(outbox_rows(app))
    response = post(app, manager, f"/manager/people/{world.child_id}/leaving", {"leaves": date.today().isoformat()})
    assert response.status_code == 302
    assert [row.kind for row in outbox_rows(app)[before:]] == ["leaving_date_set", "consent_lapses"]
    assert published_files(app) == []


def test_a_csv_import_is_one_event_carried_out(app, world, manager):
    before = len(outbox_rows(app))
    csv = b"first_name,surname,leaves\nMary,Seacole,\nIsambard,Brunel,\n"
    preview = post(app, manager, "/manager/people/import", {"file": (io.BytesIO(csv), "class.csv")},
                   content_type="multipart/form-data")
    assert preview.status_code == 200 and len(outbox_rows(app)) == before, "the preview changes nothing"
    response = confirm(app, manager, preview.data.decode())
    assert response.status_code == 302
    [event] = outbox_rows(app)[before:]
    assert event.kind == "people_imported" and len(event.payload["person_ids"]) == 2 and event.done_at is not None


def test_a_refused_import_writes_no_event(app, world, manager):
    before = len(outbox_rows(app))
    response = post(app, manager, "/manager/people/import", {"file": (io.BytesIO(b"first_name\nMary\n"), "c.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 400
    assert len(outbox_rows(app)) == before


def test_a_worker_killed_between_commit_and_drain_still_takes_the_copy_down_after_restart(
        app, world, manager, parent, item_id):
    publish(app, world, manager, parent, item_id)

    def killed(name, **kwargs):
        raise ConnectionError("the worker is gone")

    app.extensions["gatekeeper.app.gate_context"].enqueue = killed
    response = post(app, parent, f"/family/child/{world.child_id}/consent",
                    {"purpose": world.website_id, "decision": "refuse"})
    assert response.status_code == 302, "the withdrawal is recorded even though no job could be queued"
    assert len(published_files(app)) == 1
    assert outbox_rows(app)[-1].done_at is None

    # The full safety sweep never falls due here: only the outbox can take the copy down.
    restarted = create_app({"TESTING": True, "JOBS_URL": "memory://", "DATABASE_URL": app.config["DATABASE_URL"],
                            "SAFETY_SWEEP_MINUTES": 10**9}, instance_dir=app.config["INSTANCE_PATH"])
    try:
        minute_sweep(restarted)
        assert published_files(app) == []
        assert all(row.done_at is not None for row in outbox_rows(app))
        drain_outbox(restarted)  # running it again finds nothing and changes nothing
        assert published_files(app) == []
    finally:
        session_factory(restarted).kw["bind"].dispose()
