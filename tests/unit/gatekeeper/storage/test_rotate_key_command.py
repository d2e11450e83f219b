"""`gatekeeper rotate-key`: thin over the rotation service, plain errors, exit 1 when nothing switched."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gatekeeper import create_app
from gatekeeper.cli import main
from gatekeeper.instance import load_secrets
from gatekeeper.storage import quarantine_from_config


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def instance_dir(instance_dir):
    """An instance as `gatekeeper init` leaves it: rotation also re-seals records in its database."""
    assert run("init", "--instance", str(instance_dir)).exit_code == 0
    return instance_dir


def test_rotate_key_reports_the_new_key_id_and_what_it_rewrapped(instance_dir, tmp_path):
    photo = tmp_path / "clean.jpg"
    photo.write_bytes(b"FACE-OF-A-CHILD")
    app = create_app({"TESTING": True}, instance_dir=str(instance_dir))
    quarantine_from_config(app.config).put("item-1", photo)

    result = run("--instance", str(instance_dir), "rotate-key", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["resumed"] is False
    assert data["steps"] == ["quarantine: 1 re-wrapped, 0 already under the new key",
                             "face templates and reference photos: 0 re-sealed, 0 already under the new key",
                             "two-factor secrets: 0 re-sealed, 0 already under the new key"]
    assert data["old_key_id"] != data["new_key_id"]
    fresh = create_app({"TESTING": True}, instance_dir=str(instance_dir))
    assert quarantine_from_config(fresh.config).open_bytes("item-1") == b"FACE-OF-A-CHILD"


def test_rotate_key_prints_a_human_summary(instance_dir):
    result = run("rotate-key", "--instance", str(instance_dir))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("instance key rotated: ")
    assert "quarantine: 0 re-wrapped" in result.output


def test_rotate_key_on_an_uninitialised_folder_says_how_to_initialise(tmp_path):
    result = run("rotate-key", "--instance", str(tmp_path / "nothing"))
    assert result.exit_code == 1
    assert "gatekeeper init" in result.output


def test_rotate_key_with_an_unopenable_item_exits_1_and_keeps_the_old_key(instance_dir, tmp_path):
    photo = tmp_path / "clean.jpg"
    photo.write_bytes(b"FACE-OF-A-CHILD")
    app = create_app({"TESTING": True}, instance_dir=str(instance_dir))
    quarantine_from_config({**app.config, "DATA_KEY": bytes(32)}).put("foreign", photo)
    old = load_secrets(instance_dir).data_key

    result = run("rotate-key", "--instance", str(instance_dir))

    assert result.exit_code == 1
    assert "error: 1 quarantined item(s) could not be re-wrapped: foreign" in result.output
    assert load_secrets(instance_dir).data_key == old


def test_rotate_key_with_an_unusable_store_exits_1_with_the_reason(instance_dir, monkeypatch):
    monkeypatch.setenv("GATEKEEPER_QUARANTINE_URL", "gs://somewhere")
    result = run("rotate-key", "--instance", str(instance_dir))
    assert result.exit_code == 1
    assert "unknown scheme 'gs'" in result.output
