"""The one revision builds exactly what the models describe, and goes down and up again cleanly."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from consent_db import migrate
from consent_db.db import make_engine
from consent_db.models import Base


def test_migrations_upgrade_downgrade_and_upgrade_again_matching_the_models(database_url):
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_leaves_no_postgresql_enum_types_behind(postgres_url):
    engine = make_engine(postgres_url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine)
        with engine.connect() as connection:
            enums = connection.execute(text("SELECT typname FROM pg_type WHERE typtype = 'e'")).scalars().all()
        assert enums == []
    finally:
        engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys_on(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
    finally:
        engine.dispose()


@pytest.mark.parametrize("statement", [
    pytest.param("INSERT INTO people (setting_id, kind, first_name, surname, created_at) "
                 "VALUES (999, 'child', 'A', 'B', '2025-01-01')", id="a person of no setting"),
    pytest.param("INSERT INTO people (setting_id, kind, first_name, surname, created_at) "
                 "VALUES (1, 'parent', 'A', 'B', '2025-01-01')", id="a kind outside the enum"),
    pytest.param("INSERT INTO consent_decisions (person_id, channel_id, face_matching, decision, given_by, method, "
                 "recorded_at) VALUES (1, NULL, false, 'grant', 'self', 'cli', '2025-01-01')", id="a decision with no purpose"),
])
def test_the_migrated_schema_enforces_foreign_keys_and_checks(database_url, statement):
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO settings (name, created_at) VALUES ('S', '2025-01-01')"))
            connection.execute(text("INSERT INTO people (setting_id, kind, first_name, surname, created_at) "
                                    "VALUES (1, 'staff', 'A', 'B', '2025-01-01')"))
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
