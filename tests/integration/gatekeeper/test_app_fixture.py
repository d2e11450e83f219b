"""Every app-level test starts on a database just as `gatekeeper init` would find it: migrated and empty.

Run twice in a row so that, on the shared PostgreSQL database of the app-level CI run, the second
run would see what the first one left if emptying it between tests failed.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consent_db import audit, migrate, records
from consent_db.models import AuditChainHead, Setting
from gatekeeper.database import session_factory, transaction


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_finds_a_migrated_empty_database_and_may_write_to_it(app, turn):
    engine = session_factory(app).kw["bind"]
    assert migrate.current_revision(engine) == migrate.head_revision()
    with transaction(app) as session:
        assert session.scalar(select(func.count()).select_from(Setting)) == 0
        head = session.get(AuditChainHead, audit.HEAD_ID)
        assert (head.last_event_id, head.last_hash) == (0, audit.GENESIS_HASH)
        records.ensure_default_setting(session, name=f"Acorns {turn}")
    with transaction(app) as session:
        assert audit.verify_chain(session).ok
