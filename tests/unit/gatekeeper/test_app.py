"""The app factory and /healthz."""
from __future__ import annotations

import pytest

from gatekeeper import create_app
from gatekeeper.instance import InstanceError

KEYS = {"SECRET_KEY": "test", "DATA_KEY": b"k" * 32}


def test_an_app_needs_an_initialised_instance(tmp_path):
    with pytest.raises(InstanceError):
        create_app(instance_dir=str(tmp_path))


def test_healthz_answers_ok_when_the_database_is_reachable(tmp_path):
    app = create_app({**KEYS, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}, instance_dir=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_answers_503_when_the_database_is_not(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-folder' / 'db.sqlite'}"
    app = create_app({**KEYS, "DATABASE_URL": url}, instance_dir=str(tmp_path))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
