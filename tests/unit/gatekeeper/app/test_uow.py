"""The unit of work writes its events in the change's own transaction, or nothing at all."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from consent_db.models import OutboxRow, Setting
from gatekeeper.app.events import ConsentChanged, PeopleImported
from gatekeeper.app.uow import UnitOfWork

from .conftest import T0


def rows(sessions):
    with sessions() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_events_become_outbox_rows_in_the_same_commit_and_then_the_drain_is_asked_for(sessions, setting_id, clock):
    kicked = []
    with UnitOfWork(sessions, clock=clock, after_commit=lambda: kicked.append(len(rows(sessions)))) as uow:
        uow.emit(ConsentChanged(setting_id, 7, 3, False, True))
        uow.emit(PeopleImported(setting_id, (1, 2)))
    [changed, imported] = rows(sessions)
    assert (changed.kind, changed.payload) == ("consent_changed", {"setting_id": setting_id, "person_id": 7,
                                                                   "purpose": 3, "allowed": False, "ended": True})
    assert imported.payload["person_ids"] == [1, 2] and imported.due_at == T0 and imported.done_at is None
    assert kicked == [2], "asked for once, after both rows were committed"


def test_an_error_in_the_block_rolls_back_the_change_and_its_events(sessions, setting_id, clock):
    kicked = []
    with pytest.raises(RuntimeError):
        with UnitOfWork(sessions, clock=clock, after_commit=lambda: kicked.append(1)) as uow:
            uow.session.add(Setting(name="Oaks", created_at=T0))
            uow.emit(ConsentChanged(setting_id, 7, 3, False, True))
            raise RuntimeError("bad input")
    assert rows(sessions) == [] and kicked == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Setting)) == 1


def test_an_event_that_cannot_be_written_undoes_the_change(sessions, setting_id, clock):
    with pytest.raises(Exception):
        with UnitOfWork(sessions, clock=clock) as uow:
            uow.session.add(Setting(name="Oaks", created_at=T0))
            uow.emit(ConsentChanged(999_999, 7, 3, False, True))  # no such setting: the row's foreign key fails
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Setting)) == 1
    assert rows(sessions) == []


def test_a_failing_drain_request_is_logged_and_the_change_stands(sessions, setting_id, clock, caplog):
    def broken():
        raise ConnectionError("redis is down")

    with caplog.at_level(logging.WARNING):
        with UnitOfWork(sessions, clock=clock, after_commit=broken) as uow:
            uow.emit(ConsentChanged(setting_id, 7, 3, False, True))
    assert len(rows(sessions)) == 1
    assert "periodic drain will" in caplog.text


def test_no_events_no_drain_request(sessions, setting_id, clock):
    kicked = []
    with UnitOfWork(sessions, clock=clock, after_commit=lambda: kicked.append(1)):
        pass
    assert kicked == []


def test_a_unit_of_work_is_used_once(sessions, setting_id, clock):
    uow = UnitOfWork(sessions, clock=clock)
    with uow:
        pass
    with pytest.raises(RuntimeError):
        with uow:
            pass
