"""A migrated SQLite database with one setting, and a gate context whose collaborators are fakes."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from consent_db import records
from consent_db.audit import CLI
from consent_db.db import make_engine, make_session_factory
from gatekeeper.gate.context import GateContext

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, at: datetime = T0):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def sessions(migrated_db, tmp_path):
    import shutil

    path = tmp_path / "app.db"
    shutil.copy(migrated_db, path)
    engine = make_engine(f"sqlite:///{path}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def setting_id(sessions) -> int:
    with sessions.begin() as session:
        sid = records.ensure_default_setting(session, name="Acorns", at=T0).id
    return sid


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(sessions, clock) -> GateContext:
    enqueued = []
    context = GateContext(config={}, sessions=sessions, store=None,
                          enqueue=lambda name, **kw: enqueued.append((name, kw)), clock=clock)
    context.enqueued = enqueued
    return context


def add_child(sessions, setting_id: int, first="Ada") -> int:
    with sessions.begin() as session:
        fields = records.check_person(kind="child", first_name=first, surname="Lovelace")
        return records.add_person(session, fields, setting_id=setting_id, actor=CLI, at=T0).id
