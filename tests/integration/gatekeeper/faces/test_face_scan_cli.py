"""`gatekeeper scan` end to end with the real models."""
import json

import pytest
from click.testing import CliRunner

from gatekeeper.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture
def instance_dir(tmp_path):
    """An initialised instance, as `gatekeeper init` leaves it."""
    folder = tmp_path / "instance"
    assert CliRunner().invoke(main, ["init", "--instance", str(folder)]).exit_code == 0
    return folder


def scan(instance_dir, *args, env=None):
    return CliRunner().invoke(main, ["scan", "--instance", str(instance_dir), *map(str, args)], env=env or {})


def test_scan_lists_faces_as_json_and_says_nobody_is_enrolled(instance_dir, faces_dir):
    result = scan(instance_dir, "--json", faces_dir / "groups" / "fr_two_people.jpg")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["gallery_note"] == "nobody in this setting is enrolled for face matching"
    [item] = data["files"]
    assert not item["failed"] and len(item["faces"]) == 2
    assert {f["status"] for f in item["faces"]} == {"unknown"}
    assert all(set(f["box"]) == {"x", "y", "width", "height"} for f in item["faces"])


def test_scan_reports_a_picture_without_faces_as_an_empty_list(instance_dir, faces_dir):
    result = scan(instance_dir, "--json", faces_dir / "negatives" / "skimage_coffee.png")
    assert result.exit_code == 0
    assert json.loads(result.output)["files"][0]["faces"] == []


def test_scan_says_a_file_was_not_checked_and_exits_1(instance_dir, tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    result = scan(instance_dir, junk)
    assert result.exit_code == 1
    assert "NOT CHECKED" in result.output


def test_scan_refuses_a_missing_file_with_a_clear_error(instance_dir, tmp_path):
    result = scan(instance_dir, tmp_path / "nothing.jpg")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_scan_with_the_null_detector_holds_everything(instance_dir, faces_dir):
    result = scan(instance_dir, "--json", faces_dir / "groups" / "fr_two_people.jpg", env={"GATEKEEPER_DETECTOR": "null"})
    assert result.exit_code == 1
    [item] = json.loads(result.output)["files"]
    assert item["failed"] and "by hand" in item["error"]
