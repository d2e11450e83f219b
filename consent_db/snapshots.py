"""Consistent copies of a live database for backups: SQLite's online backup API, or pg_dump for PostgreSQL."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# pg_dump cannot dump a newer server; a dump restores with a pg_restore at least as new as pg_dump.
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_PG_TIMEOUT_S = 3600


class SnapshotError(Exception):
    """The database could not be copied or restored; the message is a sentence for the operator."""


def dialect_of(url: str) -> str:
    """'sqlite' or 'postgresql' for a DATABASE_URL; raises SnapshotError for anything else."""
    try:
        name = make_url(url).get_backend_name()
    except ArgumentError:
        raise SnapshotError("DATABASE_URL is not a database URL") from None
    if name not in (SQLITE, POSTGRESQL):
        raise SnapshotError(f"backups support SQLite and PostgreSQL databases, not {name}")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise SnapshotError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it (never argv)."""
    parsed = make_url(url).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SnapshotError(f"{name} is not installed: install the PostgreSQL client "
                            f"(Debian: apt-get install postgresql-client-15) matching the server")
    return found


def _major(tool: str) -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False).stdout
    match = _VERSION.search(out)
    if not match:
        raise SnapshotError(f"cannot tell which version {tool} is ({out.strip()!r})")
    return int(match.group(1))


def _server_major(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
    except SQLAlchemyError as exc:
        raise SnapshotError(f"cannot reach the database: {exc.__class__.__name__}") from None
    finally:
        engine.dispose()


def take_snapshot(url: str, dest: Path) -> str:
    """Write a consistent copy of the live database at url to dest; returns its dialect. Raises SnapshotError."""
    dialect = dialect_of(url)
    if dialect == SQLITE:
        source = _sqlite_path(url)
        if not source.is_file():
            raise SnapshotError(f"the database {source} does not exist")
        try:
            # The online backup API copies pages under SQLite's own locks: writers carry on meanwhile,
            # and the copy is one committed state.
            src, out = sqlite3.connect(source), sqlite3.connect(dest)
            try:
                src.backup(out)
            finally:
                out.close()
                src.close()
        except sqlite3.Error as exc:
            raise SnapshotError(f"cannot copy the database {source}: {exc}") from None
        return dialect
    tool = _tool("pg_dump")
    server, client = _server_major(url), _major(tool)
    if client < server:
        raise SnapshotError(f"pg_dump is version {client} but the server is {server}: "
                            f"install postgresql-client-{server}")
    target, env = _libpq(url)
    _run([tool, "--format=custom", "--no-owner", "--no-acl", f"--file={dest}", f"--dbname={target}"], env, "pg_dump")
    return dialect


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=_PG_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise SnapshotError(f"{what} did not finish within {_PG_TIMEOUT_S} s") from None
    if done.returncode != 0:
        # libpq's messages name hosts and databases, never the password (it is in the environment).
        raise SnapshotError(f"{what} failed: {done.stderr.strip()[-800:]}")


def check_restorable(dialect: str, url: str) -> None:
    """Raise SnapshotError unless url is a database of dialect that a snapshot may be restored into (empty)."""
    target = dialect_of(url)
    if target != dialect:
        raise SnapshotError(f"the backup holds a {dialect} database but the new instance's DATABASE_URL is {target}")
    if dialect == SQLITE:
        path = _sqlite_path(url)
        if path.exists():
            raise SnapshotError(f"{path} already exists: restore into a new instance")
        return
    _tool("pg_restore")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    except SQLAlchemyError as exc:
        raise SnapshotError(f"cannot reach the new instance's database: {exc.__class__.__name__}") from None
    finally:
        engine.dispose()
    if tables:
        raise SnapshotError("the new instance's database is not empty: create a new, empty database "
                            "and pass its URL with --database-url")


def restore_snapshot(dialect: str, source: Path, url: str) -> None:
    """Load a snapshot made by take_snapshot into the (empty) database at url; raises SnapshotError."""
    check_restorable(dialect, url)
    if dialect == SQLITE:
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        return
    target, env = _libpq(url)
    _run([_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
          f"--dbname={target}", str(source)], env, "pg_restore")
