"""Fixtures shared by every layer: app with a fresh instance, database URLs, the face corpus.

GATEKEEPER_TEST_APP_DATABASE=postgresql puts every app-level test (those using `app_database_url`,
through `app`, `client` or the e2e folder) on a PostgreSQL database emptied for it, with Redis as the job
storage when GATEKEEPER_TEST_REDIS_URL is set, and deselects every other test: CI runs the whole
suite once, then only the app-level tests again this way.
"""
from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "GATEKEEPER_TEST_DATABASE_URL"
REDIS_ENV = "GATEKEEPER_TEST_REDIS_URL"
APP_DATABASE_ENV = "GATEKEEPER_TEST_APP_DATABASE"
APP_DATABASES = ("sqlite", "postgresql")
APP_LEVEL_FIXTURE = "app_database_url"


def app_database() -> str:
    """The database app-level tests run on: sqlite (the default) or postgresql."""
    return os.environ.get(APP_DATABASE_ENV, "").strip().lower() or "sqlite"


def pytest_configure(config):
    kind = app_database()
    if kind not in APP_DATABASES:
        raise pytest.UsageError(f"{APP_DATABASE_ENV}={kind!r}: use one of {', '.join(APP_DATABASES)}")
    # Asked for explicitly, so a missing server is an error: skipping would pass while testing nothing.
    if kind == "postgresql" and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"{APP_DATABASE_ENV}=postgresql needs {PG_ENV} (an admin URL of the server)")


def pytest_report_header(config):
    if app_database() == "postgresql":
        jobs = "redis" if os.environ.get(REDIS_ENV) else "memory"
        return f"app-level tests only, on PostgreSQL (jobs: {jobs}); other tests deselected"
    return None


def _again_on_postgresql(item) -> bool:
    # Browser checks of markup, TLS and the network ("once") say the same on either database, and each
    # takes minutes: the whole-suite run has them, the PostgreSQL run does not repeat them.
    return APP_LEVEL_FIXTURE in getattr(item, "fixturenames", ()) and item.get_closest_marker("once") is None


def pytest_collection_modifyitems(config, items):
    if app_database() != "postgresql":
        return
    keep = [item for item in items if _again_on_postgresql(item)]
    dropped = [item for item in items if not _again_on_postgresql(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def faces_corpus() -> Path | None:
    """../shared/faces beside the checkout (or $GATEKEEPER_FACES_DIR), if present."""
    explicit = os.environ.get("GATEKEEPER_FACES_DIR")
    path = Path(explicit) if explicit else ROOT.parent / "shared" / "faces"
    return path if (path / "MANIFEST.json").exists() else None


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    path = faces_corpus()
    if path is None:
        pytest.skip("face corpus ../shared/faces is absent (set GATEKEEPER_FACES_DIR to use another)")
    return path


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for the block, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"gk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
    with fresh_postgres(admin_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Each test using this runs on SQLite and, when configured, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory):
    """A SQLite database file migrated once per session; tests copy it rather than migrate again."""
    from consent_db import migrate
    from consent_db.db import make_engine

    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def app_postgres():
    """One PostgreSQL database, migrated once, for every app-level test of the session, and its seed rows."""
    from sqlalchemy import select

    from consent_db import migrate
    from consent_db.db import make_engine
    from consent_db.models import Base

    with fresh_postgres(os.environ[PG_ENV]) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            seed = {table: [dict(row._mapping) for row in conn.execute(select(table))]
                    for table in Base.metadata.sorted_tables}
        yield url, engine, {table: rows for table, rows in seed.items() if rows}
        engine.dispose()


def empty_to_seed(engine, seed) -> None:
    """Back to the state just after migrating: every table emptied, the migrations' own rows put back."""
    from sqlalchemy import text

    from consent_db.models import Base

    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        # A transaction some earlier test left open would make TRUNCATE wait for ever; fail instead.
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table, rows in seed.items():
            conn.execute(table.insert(), rows)


@pytest.fixture
def app_database_url(request) -> str | None:
    """None: the instance's own SQLite file; under GATEKEEPER_TEST_APP_DATABASE=postgresql, the session's
    PostgreSQL database, emptied back to its migrated state before the test."""
    if app_database() != "postgresql":
        return None
    # Emptying one database takes a third to a half of the time of copying a migrated one, and a
    # fifth of migrating a new one each time (bench/test_databases.py).
    url, engine, seed = request.getfixturevalue("app_postgres")
    empty_to_seed(engine, seed)
    return url


@pytest.fixture
def instance_dir(tmp_path) -> Path:
    from gatekeeper.instance import create_secrets

    folder = tmp_path / "instance"
    create_secrets(folder)
    return folder


def app_jobs_url() -> str:
    """memory:// (jobs run inside enqueue); Redis in the PostgreSQL run when one is configured."""
    if app_database() == "postgresql" and os.environ.get(REDIS_ENV):
        return os.environ[REDIS_ENV]
    return "memory://"


@pytest.fixture
def app(request, instance_dir, app_database_url):
    """An app on a fresh, migrated instance: SQLite, or PostgreSQL (see the module docstring)."""
    from consent_db import migrate
    from gatekeeper import create_app
    from gatekeeper.database import session_factory
    from gatekeeper.doctor import ensure_folders
    from gatekeeper.jobs.runner import jobs_of

    config = {"TESTING": True, "SESSION_COOKIE_SECURE": False, "JOBS_URL": app_jobs_url()}
    if config["JOBS_URL"].startswith("redis"):
        # The PostgreSQL run counts sign-in attempts in Redis too (keys prefixed per instance).
        config["THROTTLE_URL"] = config["JOBS_URL"]
        # A queue of its own: tests run side by side in several processes against the one Redis.
        config["JOBS_QUEUE"] = f"test-{uuid.uuid4().hex[:12]}"
    if app_database_url:
        config["DATABASE_URL"] = app_database_url
    else:
        # The instance's own database file, as a copy of one migrated once: migrating anew takes seconds.
        shutil.copy(request.getfixturevalue("migrated_db"), instance_dir / "gatekeeper.db")
    application = create_app(config, instance_dir=str(instance_dir))
    huey = jobs_of(application).huey
    if not huey.immediate:
        # Jobs still run inside enqueue, as with memory://, but results and retries go through Redis.
        huey.immediate_use_memory = False
        huey.immediate = True
    migrate.upgrade(session_factory(application).kw["bind"])
    ensure_folders(application)
    yield application
    if config["JOBS_URL"].startswith("redis"):
        huey.flush()
    session_factory(application).kw["bind"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The generated media corpus, built once per session for the unit and integration media tests."""
    from tests.media_factory import Corpus

    return Corpus(tmp_path_factory.getbasetemp() / "media-corpus")


@pytest.fixture
def out_dir(tmp_path):
    folder = tmp_path / "clean"
    folder.mkdir()
    return folder
