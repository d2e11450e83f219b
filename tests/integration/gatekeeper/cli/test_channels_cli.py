"""`gatekeeper channels`: add channels of a kind, change their target and size, check them, see their
status; secrets never printed, and bad input changes nothing."""
from __future__ import annotations

import pytest

from gatekeeper.publishers import KINDS
from tests.unit.gatekeeper.publishers.test_channel_kinds import TOKEN_KIND


def test_channels_of_each_served_kind_are_added_and_listed_with_their_words(gk):
    display = gk.json("channels", "add", "entrance", "--name", "Entrance", "--description", "Our entrance screen",
                      "--kind", "display", "--set", "seconds_per_picture=8")
    assert display["target"] == {"kind": "display", "seconds_per_picture": 8} and display["takeback"] == "always"
    gallery = gk.json("channels", "add", "gallery", "--name", "Gallery", "--description", "Family gallery",
                      "--kind", "family_gallery")
    assert gallery["kind"] == "family_gallery" and "private family gallery" in gallery["where"]
    website = gk.json("channels", "add", "website", "--name", "Website", "--description", "Our website")
    assert website["kind"] == "local" and website["target"] == {} and website["takeback"] == "by_deletion"
    assert [c["slug"] for c in gk.json("channels", "list")] == ["entrance", "gallery", "website"]
    assert {k["kind"] for k in gk.json("channels", "kinds")} >= {"local", "s3", "display", "family_gallery"}


def test_the_target_and_size_are_changed_checked_and_reported(gk, tmp_path):
    gk.json("channels", "add", "website", "--name", "Website", "--description", "Our website")
    www = tmp_path / "www"
    changed = gk.json("channels", "set-target", "website", "--kind", "local", "--set", f"path={www}")
    assert changed["target"] == {"kind": "local", "path": str(www)}
    assert gk.json("channels", "set-size", "website", "1024")["rendition_side"] == 1024
    assert gk.json("channels", "set-size", "website")["rendition_side"] is None
    checked = gk.json("channels", "check", "website")
    assert checked["ok"] and str(www) in checked["describe"]
    assert gk.json("channels", "status", "website") == {"live": 0, "pending_takedowns": 0, "failed_takedowns": []}
    doctor = gk("doctor")
    assert f"website (setting 1): local folder {www}" in doctor.output


def test_a_channel_that_cannot_be_published_to_fails_its_check(gk, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    gk.json("channels", "add", "website", "--name", "Website", "--description", "Our website",
            "--set", f"path={blocker / 'www'}")
    result = gk("channels", "check", "website")
    assert result.exit_code == 1 and "cannot be published to" in result.stderr and "is not a folder" in result.stderr


@pytest.mark.parametrize("args, words", [
    (["channels", "add", "x", "--name", "X", "--description", "d", "--kind", "ftp"], "unknown channel target kind"),
    (["channels", "add", "x", "--name", "X", "--description", "d", "--kind", "s3"], "needs bucket"),
    (["channels", "add", "x", "--name", "X", "--description", "d", "--set", "path"], "--set takes NAME=VALUE"),
    (["channels", "set-target", "website", "--kind", "display", "--set", "seconds_per_picture=1"], "between 3 and 600"),
    (["channels", "set-target", "nowhere", "--kind", "display"], "no channel 'nowhere'"),
    (["channels", "set-size", "website", "12"], "320 to 4096"),
    (["channels", "check", "nowhere"], "no channel 'nowhere'"),
])
def test_bad_input_is_one_clear_error_and_changes_nothing(gk, args, words):
    gk.json("channels", "add", "website", "--name", "Website", "--description", "Our website")
    before = gk.counts()
    listed = gk.json("channels", "list")
    result = gk(*args)
    assert result.exit_code == 1 and result.stderr.startswith("error: ") and words in result.stderr
    assert gk.counts() == before and gk.json("channels", "list") == listed


def test_a_secret_setting_is_never_printed(gk, monkeypatch):
    monkeypatch.setitem(KINDS, TOKEN_KIND.name, TOKEN_KIND)
    added = gk("channels", "add", "site", "--name", "Site", "--description", "A site", "--kind", "token_test",
               "--set", "site=https://acorns.test", "--set", "token=never-print-me")
    assert added.exit_code == 0 and "never-print-me" not in added.output
    listed = gk("channels", "list", "--json")
    assert "never-print-me" not in listed.output and "(set, hidden)" in listed.output
    kept = gk.json("channels", "set-target", "site", "--kind", "token_test", "--set", "site=https://new.test")
    assert kept["target"]["token"] == "(set, hidden)"
    audit = gk("audit", "list", "--json")
    assert "never-print-me" not in audit.output
