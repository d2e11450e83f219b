"""The one revision builds exactly what the models describe, and goes down and up again cleanly."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_the_schema_enforces_foreign_keys_and_checks_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()
