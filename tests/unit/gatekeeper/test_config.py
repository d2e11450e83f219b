"""Configuration layers: defaults, instance file, environment, explicit overrides."""
from __future__ import annotations

import pytest

from gatekeeper.config import ConfigError, instance_path, load


def test_defaults_put_everything_under_the_instance_folder(tmp_path):
    settings = load(tmp_path, environ={})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'gatekeeper.db'}"
    assert settings["QUARANTINE_DIR"] == str(tmp_path / "quarantine")
    assert settings["CHANNELS_DIR"] == str(tmp_path / "channels")


def test_the_instance_file_overrides_defaults(tmp_path):
    (tmp_path / "config.toml").write_text('port = 9000\ndatabase_url = "sqlite:///x.db"\n')
    settings = load(tmp_path, environ={})
    assert settings["PORT"] == 9000
    assert settings["DATABASE_URL"] == "sqlite:///x.db"


def test_environment_overrides_the_file_and_keeps_the_default_type(tmp_path):
    (tmp_path / "config.toml").write_text("port = 9000\n")
    settings = load(tmp_path, environ={"GATEKEEPER_PORT": "9100", "GATEKEEPER_CONSENT_ENDS_ON_LEAVING": "no"})
    assert settings["PORT"] == 9100
    assert settings["CONSENT_ENDS_ON_LEAVING"] is False


def test_explicit_overrides_win_over_everything(tmp_path):
    settings = load(tmp_path, overrides={"PORT": 1}, environ={"GATEKEEPER_PORT": "2"})
    assert settings["PORT"] == 1


@pytest.mark.parametrize("name, raw", [("GATEKEEPER_PORT", "eighty"), ("GATEKEEPER_CONSENT_ENDS_ON_LEAVING", "maybe")])
def test_a_badly_typed_environment_value_is_refused_by_name(tmp_path, name, raw):
    with pytest.raises(ConfigError, match=name):
        load(tmp_path, environ={name: raw})


def test_a_broken_instance_file_is_refused_with_its_path(tmp_path):
    (tmp_path / "config.toml").write_text("port = = 3\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load(tmp_path, environ={})


def test_the_instance_folder_comes_from_the_environment_when_not_given(tmp_path, monkeypatch):
    monkeypatch.setenv("GATEKEEPER_INSTANCE", str(tmp_path / "elsewhere"))
    assert instance_path() == tmp_path / "elsewhere"
    assert instance_path(tmp_path / "given") == tmp_path / "given"


def test_the_default_instance_folder_is_instance_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("GATEKEEPER_INSTANCE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert instance_path() == tmp_path / "instance"
