"""Doctor reports on the configured quarantine store and on an unfinished key rotation."""
from __future__ import annotations

import os

import pytest

from gatekeeper import create_app
from gatekeeper.doctor import CHECKS, check_key_rotation, check_quarantine, ensure_folders


@pytest.fixture
def app(instance_dir):
    """An app with its folders made; these checks need no database."""
    application = create_app({"TESTING": True}, instance_dir=str(instance_dir))
    ensure_folders(application)
    return application


def test_doctor_runs_the_quarantine_and_key_checks():
    assert check_quarantine in CHECKS and check_key_rotation in CHECKS


def test_a_private_local_quarantine_is_reported_ok(app):
    finding = check_quarantine(app)
    assert finding.ok, finding.detail
    assert finding.detail.startswith(f"local folder {app.config['QUARANTINE_DIR']}")


def test_a_quarantine_folder_others_can_read_fails_with_the_fix(app):
    os.chmod(app.config["QUARANTINE_DIR"], 0o755)
    finding = check_quarantine(app)
    assert not finding.ok
    assert "chmod 700" in finding.detail


def test_an_unusable_quarantine_url_fails_with_the_reason(app):
    app.config["QUARANTINE_URL"] = "ftp://old-server/photos"
    finding = check_quarantine(app)
    assert (finding.ok, finding.name) == (False, "quarantine")
    assert "unknown scheme 'ftp'" in finding.detail


def test_an_unfinished_key_rotation_is_reported_with_the_fix(app):
    assert check_key_rotation(app).ok
    app.config["DATA_KEY_PENDING"] = bytes(32)
    finding = check_key_rotation(app)
    assert not finding.ok
    assert "gatekeeper rotate-key" in finding.detail
