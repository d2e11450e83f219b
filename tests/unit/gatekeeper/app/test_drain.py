"""The drain runs each due row's handler once, keeps failures for a retry with backoff, and its real
handlers purge templates whose consent lapsed."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from consent_db import outbox
from consent_db.models import Decision, GivenBy, Method, OutboxRow
from consent_db.templates import count_templates, enroll_template
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.app.drain import drain
from gatekeeper.app.handlers import Outcome
from gatekeeper.app.principal import operator
from gatekeeper.app.consent import record_consent
from gatekeeper.app.uow import UnitOfWork

from .conftest import T0


def write(sessions, setting_id, kind="consent_changed", payload=None, due_at=None):
    with sessions.begin() as session:
        return outbox.add(session, setting_id=setting_id, kind=kind, payload=payload or {"person_id": 1}, at=T0,
                          due_at=due_at).id


def stored(sessions, row_id) -> OutboxRow:
    with sessions() as session:
        return session.get(OutboxRow, row_id)


def test_each_due_row_is_handled_once_and_marked_done(ctx, sessions, setting_id):
    seen = []
    handlers = {"consent_changed": lambda c, sid, payload: seen.append((sid, payload)) or Outcome(taken_down=1)}
    first, second = write(sessions, setting_id), write(sessions, setting_id, payload={"person_id": 2})
    later = write(sessions, setting_id, due_at=T0 + timedelta(days=1))
    report = drain(ctx, handlers=handlers)
    assert (report.handled, report.failed, report.taken_down) == (2, 0, 2)
    assert seen == [(setting_id, {"person_id": 1}), (setting_id, {"person_id": 2})]
    assert stored(sessions, first).done_at is not None and stored(sessions, second).done_at is not None
    assert stored(sessions, later).done_at is None
    assert drain(ctx, handlers=handlers).handled == 0, "nothing is handled twice"


def test_a_failing_handler_keeps_its_row_and_succeeds_on_a_later_drain(ctx, sessions, setting_id, clock):
    attempts = []

    def flaky(c, sid, payload):
        attempts.append(clock())
        if len(attempts) < 3:
            raise ConnectionError("channel down")
        return Outcome()

    row_id = write(sessions, setting_id)
    for _ in range(3):
        drain(ctx, handlers={"consent_changed": flaky})
        row = stored(sessions, row_id)
        if row.done_at is None:
            assert row.last_error == "ConnectionError: channel down"
            assert drain(ctx, handlers={"consent_changed": flaky}).handled == 0, "not before its backoff"
            clock.at = row.due_at
    assert len(attempts) == 3 and stored(sessions, row_id).done_at is not None
    assert stored(sessions, row_id).attempts == 3


def test_a_row_of_an_unknown_kind_is_kept_not_dropped(ctx, sessions, setting_id):
    row_id = write(sessions, setting_id, kind="from_a_newer_version")
    report = drain(ctx, handlers={})
    assert report.failed == 1 and "no handler" in report.errors[0]
    assert stored(sessions, row_id).done_at is None


def test_a_lapsed_face_matching_consent_has_its_templates_purged_when_its_moment_comes(ctx, sessions, setting_id,
                                                                                     clock):
    from .conftest import add_child

    child = add_child(sessions, setting_id)
    with sessions.begin() as session:
        from consent_db import records

        guardian = records.add_guardian(session, setting_id=setting_id, name="Anne", email="anne@example.org",
                                        child_id=child, actor=operator(setting_id).actor, at=T0).id
    uow = UnitOfWork(sessions, clock=clock)
    record_consent(uow, operator(setting_id), person_id=child, purpose=FACE_MATCHING, decision=Decision.GRANT,
                   given_by=GivenBy.GUARDIAN, method=Method.PORTAL, guardian_id=guardian, expires=date(2026, 1, 8))
    with sessions.begin() as session:
        enroll_template(session, bytes(32), setting_id=setting_id, person_id=child, template=b"\x01" * 8, reference_photo=b"jpeg", at=T0)
    drain(ctx)
    with sessions() as session:
        assert count_templates(session, child) == 1, "consent still in force"
        lapses = session.scalars(select(OutboxRow).where(OutboxRow.kind == "consent_lapses")).one()
    assert lapses.due_at.date() == date(2026, 1, 8) and lapses.done_at is None
    clock.at = lapses.due_at
    report = drain(ctx)
    assert report.templates_deleted == 1
    with sessions() as session:
        assert count_templates(session, child) == 0
    assert drain(ctx).handled == 0
