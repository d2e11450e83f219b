"""Instance keys: made once, private, refused clearly when missing or damaged."""
from __future__ import annotations

import json
import stat

import pytest

from gatekeeper.instance import SECRETS_FILE, InstanceError, create_secrets, load_secrets


def test_secrets_are_made_once_and_readable_only_by_the_owner(tmp_path):
    assert create_secrets(tmp_path / "inst") is True
    first = load_secrets(tmp_path / "inst")
    assert create_secrets(tmp_path / "inst") is False
    assert load_secrets(tmp_path / "inst") == first
    mode = stat.S_IMODE((tmp_path / "inst" / SECRETS_FILE).stat().st_mode)
    assert mode == 0o600
    assert len(first.data_key) == 32


def test_an_uninitialised_folder_says_how_to_initialise_it(tmp_path):
    with pytest.raises(InstanceError, match="gatekeeper init"):
        load_secrets(tmp_path)


@pytest.mark.parametrize("content", ["not json", json.dumps({"secret_key": "x"}),
                                     json.dumps({"secret_key": "x", "data_key": "c2hvcnQ="})])
def test_a_damaged_secrets_file_is_refused(tmp_path, content):
    (tmp_path / SECRETS_FILE).write_text(content)
    with pytest.raises(InstanceError, match="damaged"):
        load_secrets(tmp_path)


def test_secrets_made_by_another_init_at_the_same_moment_are_kept(tmp_path, monkeypatch):
    folder = tmp_path / "inst"
    create_secrets(folder)
    theirs = load_secrets(folder)
    # This init looked before the other one wrote, so it goes on to write its own keys.
    monkeypatch.setattr("pathlib.Path.exists", lambda self: False)
    assert create_secrets(folder) is False
    monkeypatch.undo()
    assert load_secrets(folder) == theirs
    assert sorted(p.name for p in folder.iterdir()) == [SECRETS_FILE]
