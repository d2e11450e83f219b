"""`gatekeeper sanitize`: one line per input, exit 2 when any was refused, keeps going."""
from __future__ import annotations

import json

from click.testing import CliRunner

from gatekeeper.cli import main


def run(*args):
    return CliRunner().invoke(main, ["sanitize", *map(str, args)])


def test_every_file_kept_exits_0_and_names_keep_the_stem_with_the_new_extension(corpus, tmp_path):
    out = tmp_path / "out"
    result = run("--out-dir", out, corpus["orientation_6.jpg"], corpus["everything_upright.heic"],
                 corpus["gps_in_keys_udta_rotated_90.mov"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["everything_upright.jpg", "gps_in_keys_udta_rotated_90.mp4",
                                                     "orientation_6.jpg"]
    lines = result.output.splitlines()
    assert len(lines) == 3 and all(line.startswith("kept") for line in lines)
    assert "GPS position" in lines[0]


def test_a_refusal_exits_2_says_why_and_the_rest_are_still_kept(corpus, tmp_path):
    out = tmp_path / "out"
    result = run("--out-dir", out, corpus["zero_bytes.jpg"], corpus["svg_named.jpg"], corpus["everything.png"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0].startswith("refused") and lines[0].endswith("The file is empty.")
    assert lines[1].startswith("refused") and "SVG" in lines[1]
    assert lines[2].startswith("kept")
    assert [p.name for p in out.iterdir()] == ["everything.png"]


def test_two_inputs_with_one_stem_do_not_overwrite_each_other(corpus, tmp_path):
    out = tmp_path / "out"
    second = tmp_path / "other"
    second.mkdir()
    copy = second / "everything.heic"
    copy.write_bytes(corpus["everything_upright.heic"].read_bytes())
    (tmp_path / "everything.heic").write_bytes(copy.read_bytes())
    result = run("--out-dir", out, tmp_path / "everything.heic", copy)
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["everything-2.jpg", "everything.jpg"]


def test_json_output_lists_each_result(corpus, tmp_path):
    result = run("--out-dir", tmp_path / "out", "--json", corpus["everything.png"], tmp_path / "missing.gif")
    rows = json.loads(result.output)
    assert [r["status"] for r in rows] == ["kept", "refused"]
    assert result.exit_code == 2


def test_an_out_dir_that_cannot_be_made_is_a_clear_error(corpus, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("--out-dir", blocker / "sub", corpus["everything.png"])
    assert result.exit_code == 1
    assert "cannot create" in result.output


def test_many_files_cleaned_side_by_side_are_answered_in_the_order_given(corpus, tmp_path):
    names = ["everything.png", "zero_bytes.jpg", "orientation_6.jpg", "everything_upright.heic", "svg_named.jpg"]
    result = run("--out-dir", tmp_path / "out", "--json", *(corpus[n] for n in names * 2))
    rows = json.loads(result.output)
    assert [r["file"] for r in rows] == [str(corpus[n]) for n in names * 2]
    assert [r["status"] for r in rows] == ["kept", "refused", "kept", "kept", "refused"] * 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "everything-2.png", "everything.png", "everything_upright-2.jpg", "everything_upright.jpg",
        "orientation_6-2.jpg", "orientation_6.jpg"]
