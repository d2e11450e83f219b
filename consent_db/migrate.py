"""Alembic migrations run from code, on the caller's engine, for SQLite and PostgreSQL."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any fixed number works; it only has to be the same for every process migrating this database.
_MIGRATION_LOCK_KEY = 0x6B_67_6D_69  # "kgmi"


def _config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to revision (default: the newest); safe to run from several processes at once."""
    with _migrating(engine) as connection:
        _wait_for_other_migrations(connection)
        command.upgrade(_config(connection), revision)


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    # SQLite alters a table by copying it and dropping the old one. With foreign keys enforced, that
    # drop deletes the old rows and fails wherever other tables point at them, so enforcement is off
    # while migrating (it can only change outside a transaction) and every reference is checked
    # afterwards: a migration that broke one fails loudly instead of leaving rows pointing at nothing.
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left rows pointing at nothing: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _wait_for_other_migrations(connection: Connection) -> None:
    # Two processes creating the same tables at once: one would fail on PostgreSQL. The lock ends with
    # the transaction; the waiter then finds the schema at head and does nothing. SQLite's single
    # writer lock already serialises this.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the schema down to revision (default: empty)."""
    with _migrating(engine) as connection:
        command.downgrade(_config(connection), revision)


def head_revision() -> str | None:
    """The newest revision this code ships."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def revision_before(revision: str) -> str | None:
    """The revision this one upgrades from (None for the first); raises KeyError for an unknown one."""
    found = ScriptDirectory.from_config(_config()).get_revision(revision)
    if found is None:
        raise KeyError(revision)
    down = found.down_revision
    return down if isinstance(down, str) or down is None else down[0]


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
