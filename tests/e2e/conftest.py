"""End-to-end: real processes and a real browser; under GATEKEEPER_TEST_APP_DATABASE=postgresql they share
one fresh database."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go: $GATEKEEPER_TEST_ARTIFACTS, else test-artifacts/e2e (git-ignored)."""
    folder = Path(os.environ.get("GATEKEEPER_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: browser journeys skipped (apt install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class LiveServer:
    """The app served by werkzeug on a free loopback port, in a daemon thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_app(instance_dir):
    from consent_db import migrate
    from gatekeeper import create_app
    from gatekeeper.database import session_factory
    from gatekeeper.doctor import ensure_folders
    from tests.web_world import FAST_ARGON2

    app = create_app({"SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://", **FAST_ARGON2},
                     instance_dir=str(instance_dir))
    migrate.upgrade(session_factory(app).kw["bind"])
    ensure_folders(app)
    server = LiveServer(app)
    yield server
    server.stop()
    session_factory(app).kw["bind"].dispose()


@pytest.fixture(autouse=True)
def instance_database(app_database_url, monkeypatch):
    """Point every `gatekeeper` process a test starts at the app-level database (None: its own SQLite file)."""
    if app_database_url:
        monkeypatch.setenv("GATEKEEPER_DATABASE_URL", app_database_url)
    else:
        monkeypatch.delenv("GATEKEEPER_DATABASE_URL", raising=False)
    return app_database_url
