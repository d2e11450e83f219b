"""A migrated database (SQLite, and PostgreSQL when configured) and a small setting to work on."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from consent_db import migrate, records
from consent_db.audit import CLI
from consent_db.db import make_engine, make_session_factory
from consent_db.models import Base

T0 = datetime(2025, 9, 1, 9, 0, tzinfo=timezone.utc)
DATA_KEY = bytes(range(32))


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with make_session_factory(engine)() as session:
        yield session


@dataclass
class World:
    setting_id: int
    child: int  # guardians: mum, dad (both PR), aunt (no PR)
    other_child: int  # guardian: stranger
    staff: int
    mum: int
    dad: int
    aunt: int
    stranger: int
    website: int
    newsletter: int


def _person(session, setting_id, kind, first, surname, **dates):
    fields = records.check_person(kind=kind, first_name=first, surname=surname, **dates)
    return records.add_person(session, fields, setting_id=setting_id, actor=CLI, at=T0).id


@pytest.fixture
def world(session) -> World:
    setting = records.ensure_default_setting(session, name="Acorns", at=T0)
    sid = setting.id
    child = _person(session, sid, "child", "Ada", "Lovelace", born="2021-03-04")
    other = _person(session, sid, "child", "Alan", "Turing", born="2021-06-23")
    staff = _person(session, sid, "staff", "Grace", "Hopper")

    def guardian(name, email, child_id, pr=True):
        return records.add_guardian(session, setting_id=sid, name=name, email=email, child_id=child_id,
                                    parental_responsibility=pr, actor=CLI, at=T0).id

    mum = guardian("Anne", "anne@example.org", child)
    dad = guardian("Bill", "bill@example.org", child)
    aunt = guardian("Cath", "cath@example.org", child, pr=False)
    stranger = guardian("Dan", "dan@example.org", other)
    channel = lambda slug: records.add_channel(session, setting_id=sid, slug=slug, name=slug.title(),  # noqa: E731
                                               description=f"the {slug}", actor=CLI, at=T0).id
    w = World(sid, child, other, staff, mum, dad, aunt, stranger, channel("website"), channel("newsletter"))
    session.commit()
    return w


def row_counts(session) -> dict[str, int]:
    """Rows in every table: compare before and after a refused operation."""
    return {table.name: session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables}
