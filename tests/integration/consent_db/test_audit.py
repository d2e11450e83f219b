"""The audit chain: intact chains verify; an edited, deleted or reordered row is named."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from consent_db import audit, migrate
from consent_db.audit import AuditTag
from consent_db.db import make_engine, make_session_factory
from consent_db.models import AuditEvent


def write_events(session, n: int = 5) -> None:
    for i in range(n):
        audit.record(session, AuditTag.CONSENT_GRANTED, actor_label="test", subject=f"person:{i}",
                     details={"n": i, "note": "café"})
    session.commit()


def test_an_intact_chain_verifies(session):
    write_events(session)
    report = audit.verify_chain(session)
    assert report.ok and report.checked == 5 and report.first_bad_id is None


def test_an_empty_chain_verifies(session):
    assert audit.verify_chain(session).ok


def test_each_event_records_who_when_where_and_what(session):
    event = audit.record(session, AuditTag.DEVICE_REVOKED, actor_account_id=3, actor_label="Manager",
                         device_id=9, subject="device:9", details={"name": "Tablet 2"}, setting_id=1)
    session.commit()
    data = audit.event_as_dict(session.get(AuditEvent, event.id))
    assert data["tag"] == "device:revoked" and data["actor_account_id"] == 3 and data["device_id"] == 9
    assert data["details"] == {"name": "Tablet 2"} and data["at"].endswith("+00:00")


def test_an_edited_row_is_detected(session):
    write_events(session)
    session.execute(text("UPDATE audit_events SET details = :d WHERE id = 3"), {"d": '{"n":99}'})
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3 and "altered" in report.problem


def test_an_edited_actor_is_detected(session):
    write_events(session)
    session.execute(text("UPDATE audit_events SET actor_label = 'someone else' WHERE id = 2"))
    session.commit()
    assert audit.verify_chain(session).first_bad_id == 2


def test_a_deleted_row_is_detected(session):
    write_events(session)
    session.execute(text("DELETE FROM audit_events WHERE id = 3"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 4 and "missing" in report.problem


def test_a_deleted_last_row_is_detected(session):
    write_events(session)
    session.execute(text("DELETE FROM audit_events WHERE id = 5"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 5


def test_a_deleted_and_renumbered_row_is_detected(session):
    write_events(session)
    session.execute(text("DELETE FROM audit_events WHERE id = 3"))
    session.execute(text("UPDATE audit_events SET id = id - 1 WHERE id > 3"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 3


def test_reordered_rows_are_detected(session):
    write_events(session)
    session.execute(text("UPDATE audit_events SET id = 100 WHERE id = 2"))
    session.execute(text("UPDATE audit_events SET id = 2 WHERE id = 4"))
    session.execute(text("UPDATE audit_events SET id = 4 WHERE id = 100"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_bad_id == 2


def test_only_known_tags_can_be_written(session):
    with pytest.raises(ValueError):
        audit.record(session, "consent:made-up")


def test_writing_to_an_unmigrated_database_is_a_clear_error(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_chain_head"))
    with make_session_factory(engine)() as session:
        with pytest.raises(audit.AuditChainError):
            audit.record(session, AuditTag.SETTING_CREATED)
        assert not audit.verify_chain(session).ok
    engine.dispose()


def test_list_events_filters_by_tag_prefix_and_subject(session):
    write_events(session, 3)
    audit.record(session, AuditTag.DEVICE_PAIRED, subject="device:1")
    session.commit()
    assert [e.tag for e in audit.list_events(session, tag_prefix="device:")] == ["device:paired"]
    assert [e.id for e in audit.list_events(session, subject="person:1")] == [2]
    assert [e.id for e in audit.list_events(session, limit=2)] == [4, 3]


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql_never_fork_the_chain(postgres_url):
    engine = make_engine(postgres_url, pool_size=8)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    writers, per_writer = 6, 15
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                with factory.begin() as session:
                    audit.record(session, AuditTag.MEDIA_UPLOADED, actor_label=f"writer {number}",
                                 details={"i": i})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with factory() as session:
            report = audit.verify_chain(session)
        assert report.ok and report.checked == writers * per_writer
    finally:
        engine.dispose()


def test_the_quick_tail_check_passes_on_an_empty_or_intact_chain_and_fails_on_a_cut_one(session):
    assert audit.check_tail(session).ok
    write_events(session, 3)
    assert audit.check_tail(session).ok
    session.execute(text("UPDATE audit_events SET tag = 'media:published' WHERE id = 3"))
    session.commit()
    assert audit.check_tail(session).first_bad_id == 3
    session.execute(text("DELETE FROM audit_events"))
    session.commit()
    assert not audit.check_tail(session).ok


def test_one_settings_events_are_not_pushed_off_the_page_by_anothers(session):
    audit.record(session, AuditTag.CONSENT_GRANTED, subject="person:1", setting_id=1)
    audit.record(session, AuditTag.SETTING_CREATED)  # belongs to no setting: shown to every setting
    for n in range(5):
        audit.record(session, AuditTag.CONSENT_GRANTED, subject=f"person:{10 + n}", setting_id=2)
    session.commit()
    mine = audit.list_events(session, of_setting=1, limit=3)
    assert [(e.subject, e.setting_id) for e in mine] == [(None, None), ("person:1", 1)]
