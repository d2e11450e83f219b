"""The outbox store: rows are claimed once under a lease, finished or retried with backoff, never lost,
and a schedule's newer row supersedes its pending one; on PostgreSQL two drainers never share a row."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from consent_db import outbox, records
from consent_db.db import make_engine, make_session_factory
from consent_db.models import OutboxRow

from .conftest import T0

LEASE = timedelta(minutes=5)


@pytest.fixture
def setting_id(session):
    sid = records.ensure_default_setting(session, name="Acorns", at=T0).id
    session.commit()
    return sid


def add(session, setting_id, n=1, **kwargs):
    rows = [outbox.add(session, setting_id=setting_id, kind="consent_changed", payload={"person_id": i},
                       at=T0, **kwargs) for i in range(n)]
    session.commit()
    return rows


def test_a_due_row_is_claimed_once_and_completed(session, setting_id):
    [row] = add(session, setting_id)
    [claimed] = outbox.claim(session, token="a", at=T0, lease=LEASE, limit=10)
    assert (claimed.id, claimed.kind, claimed.payload, claimed.attempts) == (row.id, "consent_changed", {"person_id": 0}, 1)
    assert outbox.claim(session, token="b", at=T0, lease=LEASE, limit=10) == [], "under a live lease"
    assert outbox.complete(session, row.id, token="a", at=T0)
    session.commit()
    assert outbox.pending(session, setting_id=setting_id) == 0
    assert outbox.claim(session, token="c", at=T0 + LEASE * 2, lease=LEASE, limit=10) == []


def test_a_row_due_later_waits_for_its_moment(session, setting_id):
    add(session, setting_id, due_at=T0 + timedelta(days=3))
    assert outbox.claim(session, token="a", at=T0 + timedelta(days=2), lease=LEASE, limit=10) == []
    assert len(outbox.claim(session, token="a", at=T0 + timedelta(days=3), lease=LEASE, limit=10)) == 1


def test_a_claim_whose_drainer_died_is_free_again_after_the_lease(session, setting_id):
    [row] = add(session, setting_id)
    outbox.claim(session, token="dead", at=T0, lease=LEASE, limit=10)
    session.commit()
    [again] = outbox.claim(session, token="alive", at=T0 + LEASE + timedelta(seconds=1), lease=LEASE, limit=10)
    assert again.attempts == 2
    assert not outbox.complete(session, row.id, token="dead", at=T0), "the dead drainer's claim is gone"
    assert outbox.complete(session, row.id, token="alive", at=T0)


def test_a_failed_row_is_retried_with_growing_backoff_and_never_dropped(session, setting_id):
    [row] = add(session, setting_id)
    at = T0
    for attempt in range(1, 15):
        [claimed] = outbox.claim(session, token=f"t{attempt}", at=at, lease=LEASE, limit=10)
        assert claimed.attempts == attempt
        assert outbox.fail(session, row.id, token=f"t{attempt}", error="channel down", attempts=attempt, at=at)
        session.commit()
        assert outbox.claim(session, token="early", at=at + outbox.retry_delay(attempt) - timedelta(seconds=1),
                            lease=LEASE, limit=10) == []
        at += outbox.retry_delay(attempt)
    assert outbox.retry_delay(1) == timedelta(seconds=5) and outbox.retry_delay(2) == timedelta(seconds=10)
    assert outbox.retry_delay(30) == outbox.MAX_RETRY_DELAY
    session.expire_all()
    stored = session.get(OutboxRow, row.id)
    assert stored.done_at is None and stored.last_error == "channel down"


def test_a_new_row_of_a_schedule_supersedes_the_pending_one_and_cancel_closes_it(session, setting_id):
    first = outbox.add(session, setting_id=setting_id, kind="consent_lapses", payload={}, at=T0,
                       due_at=T0 + timedelta(days=5), key="leaving:person:1")
    second = outbox.add(session, setting_id=setting_id, kind="consent_lapses", payload={}, at=T0,
                        due_at=T0 + timedelta(days=9), key="leaving:person:1")
    session.commit()
    session.expire_all()
    assert session.get(OutboxRow, first.id).last_error == outbox.SUPERSEDED
    assert outbox.cancel(session, "leaving:person:1", at=T0) == 1
    session.expire_all()
    assert session.get(OutboxRow, second.id).done_at is not None
    assert outbox.pending(session, setting_id=setting_id) == 0


def test_claims_take_the_oldest_due_first_up_to_the_limit(session, setting_id):
    add(session, setting_id, n=5)
    assert [r.payload["person_id"] for r in outbox.claim(session, token="a", at=T0, lease=LEASE, limit=3)] == [0, 1, 2]


def test_two_drainers_on_postgresql_never_claim_the_same_row(postgres_url):
    from consent_db import migrate

    engine = make_engine(postgres_url, pool_size=10)
    try:
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            sid = records.ensure_default_setting(session, name="Acorns", at=T0).id
            for i in range(400):
                outbox.add(session, setting_id=sid, kind="consent_changed", payload={"person_id": i}, at=T0)
        claimed: dict[str, list[int]] = {"a": [], "b": [], "c": [], "d": []}
        start = threading.Barrier(len(claimed))

        def drainer(token: str) -> None:
            start.wait()
            while True:
                with sessions.begin() as session:
                    rows = outbox.claim(session, token=token, at=T0, lease=LEASE, limit=7)
                if not rows:
                    return
                with sessions.begin() as session:
                    for row in rows:
                        assert outbox.complete(session, row.id, token=token, at=T0)
                claimed[token].extend(row.id for row in rows)

        threads = [threading.Thread(target=drainer, args=(token,)) for token in claimed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        every = [row_id for ids in claimed.values() for row_id in ids]
        assert len(every) == len(set(every)) == 400, "each row handled exactly once"
        assert sum(1 for ids in claimed.values() if ids) > 1, "the drainers really ran side by side"
        with sessions() as session:
            assert session.scalars(select(OutboxRow).where(OutboxRow.attempts != 1)).all() == []
    finally:
        engine.dispose()
