"""End-to-end tests start real processes; under GATEKEEPER_TEST_APP_DATABASE=postgresql they share one fresh database."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def instance_database(app_database_url, monkeypatch):
    """Point every `gatekeeper` process a test starts at the app-level database (None: its own SQLite file)."""
    if app_database_url:
        monkeypatch.setenv("GATEKEEPER_DATABASE_URL", app_database_url)
    else:
        monkeypatch.delenv("GATEKEEPER_DATABASE_URL", raising=False)
    return app_database_url
