"""Fixtures shared by every layer: app with a fresh instance, database URLs, the face corpus."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "GATEKEEPER_TEST_DATABASE_URL"


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


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped")
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Each test using this runs on SQLite and, when configured, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def instance_dir(tmp_path) -> Path:
    from gatekeeper.instance import create_secrets

    folder = tmp_path / "instance"
    create_secrets(folder)
    return folder


@pytest.fixture
def app(instance_dir):
    """An app on a fresh, migrated SQLite instance."""
    from consent_db import migrate
    from gatekeeper import create_app
    from gatekeeper.database import session_factory
    from gatekeeper.doctor import ensure_folders

    application = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://"},
                             instance_dir=str(instance_dir))
    migrate.upgrade(session_factory(application).kw["bind"])
    ensure_folders(application)
    yield application
    session_factory(application).kw["bind"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()
