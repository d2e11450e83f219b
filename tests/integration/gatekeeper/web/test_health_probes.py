"""/readyz is 200 only when the database, schema, quarantine, job queue and face models all work; /healthz is liveness."""
from __future__ import annotations

import json
import logging
import socket

import pytest

from gatekeeper import create_app
from gatekeeper.doctor import Finding, ensure_folders
from gatekeeper.web import health

READY_PARTS = {"database", "migrations", "quarantine", "jobs", "worker", "face models"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_app(instance_dir):
    """Apps on the test instance with some settings changed (SQLite unless the change says otherwise)."""
    made = []

    def make(**overrides):
        app = create_app({"TESTING": True, "JOBS_URL": "memory://", **overrides}, instance_dir=str(instance_dir))
        ensure_folders(app)
        made.append(app)
        return app

    yield make
    from gatekeeper.database import session_factory

    for app in made:
        session_factory(app).kw["bind"].dispose()


def test_a_migrated_instance_whose_parts_all_work_is_ready(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json == {"status": "ready", "failing": [], "checks": {part: "ok" for part in READY_PARTS}}
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unmigrated_database_is_not_ready_and_names_the_migrations(make_app):
    response = make_app().test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready"
    assert response.json["failing"] == ["migrations"]


def test_unreachable_database_and_queue_are_named_without_their_passwords(make_app, caplog):
    app = make_app(DATABASE_URL=f"postgresql+psycopg://gk:db-s3cret@127.0.0.1:{closed_port()}/gk",
                   JOBS_URL=f"redis://:queue-s3cret@127.0.0.1:{closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="gatekeeper.web.health"):
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["database", "migrations", "jobs", "worker"]
    assert "s3cret" not in response.get_data(as_text=True)
    assert "s3cret" not in caplog.text
    assert "not ready: jobs: job storage unreachable" in caplog.text


def test_a_quarantine_that_fails_its_check_is_named_and_its_details_stay_in_the_log(make_app, caplog):
    app = make_app(QUARANTINE_URL="ftp://files.example.org/private")
    with caplog.at_level(logging.WARNING, logger="gatekeeper.web.health"):
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "quarantine" in response.json["failing"]
    assert response.json["checks"]["quarantine"] == "failing"
    assert "files.example.org" not in response.get_data(as_text=True)
    assert "files.example.org" in caplog.text


def test_without_a_face_detector_the_instance_is_not_ready(app, monkeypatch):
    app.config["DETECTOR"] = "null"
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["face models"]


def test_a_check_that_crashes_makes_the_instance_not_ready(client, monkeypatch):
    def explodes(app):
        raise RuntimeError("boom")

    monkeypatch.setattr(health, "READY_CHECKS", (*health.READY_CHECKS, explodes))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["explodes"]


def test_healthz_stays_alive_while_readyz_is_not(make_app):
    client = make_app(DETECTOR="null", JOBS_URL=f"redis://127.0.0.1:{closed_port()}/0").test_client()
    assert client.get("/readyz").status_code == 503
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.data) == {"status": "ok"}


def test_a_passing_face_model_check_is_remembered_and_a_failing_one_is_not(app, monkeypatch):
    verdicts = [Finding("face models", False, "missing"), Finding("face models", True, "fine")]
    calls = []

    def check(app):
        calls.append(1)
        return verdicts[len(calls) - 1]

    monkeypatch.setattr(health.doctor, "check_face_models", check)
    assert not health.check_face_models_once(app).ok
    assert health.check_face_models_once(app).ok
    assert health.check_face_models_once(app).ok
    assert len(calls) == 2
