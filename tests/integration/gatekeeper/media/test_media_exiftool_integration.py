"""exiftool, listing every tag it knows (-a -G1 -ee3 -u), finds nothing personal in any output."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from gatekeeper.media import sanitize_file
from tests.media_factory import BUILDERS, MARKERS

KEPT = [name for name in BUILDERS if name.startswith(("everything", "orientation", "animated", "gps_in",
                                                       "tagged", "untagged"))]
# Groups exiftool reports for a clean file: the file system, the file's structure, and its own sums.
STRUCTURAL_GROUPS = {"ExifTool", "System", "File", "Composite", "JFIF", "PNG", "GIF", "RIFF", "QuickTime",
                     "Track1", "Track2"}
FORBIDDEN_GROUPS = ("EXIF", "IFD", "GPS", "XMP", "IPTC", "Photoshop", "ICC", "MakerNotes", "Keys", "UserData",
                    "ItemList", "Apple", "MPF", "Comment")
ZERO_DATES = {"CreateDate", "ModifyDate", "TrackCreateDate", "TrackModifyDate", "MediaCreateDate",
              "MediaModifyDate"}


def exiftool(path) -> dict:
    if shutil.which("exiftool") is None:
        pytest.skip("exiftool is not installed (Debian package libimage-exiftool-perl)")
    out = subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee3", "-u", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)[0]


@pytest.fixture(scope="module")
def cleaned(corpus, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clean-for-exiftool")
    return {name: sanitize_file(corpus[name], folder, stem=corpus[name].stem).path for name in KEPT}


@pytest.mark.parametrize("name", KEPT)
def test_exiftool_sees_personal_tags_before_and_only_structure_after(corpus, cleaned, name):
    before = exiftool(corpus[name])
    assert any(g.split(":")[0] in FORBIDDEN_GROUPS or g.startswith(FORBIDDEN_GROUPS) for g in before), before
    after = exiftool(cleaned[name])
    groups = {key.split(":")[0] for key in after if ":" in key}
    assert groups <= STRUCTURAL_GROUPS, sorted(groups - STRUCTURAL_GROUPS)
    text = json.dumps(after, ensure_ascii=False)
    assert [k for k, v in MARKERS.items() if v in text] == []
    assert not any(k.endswith(":Warning") or k.endswith(":Error") for k in after), after


@pytest.mark.parametrize("name", [n for n in KEPT if n.endswith((".mov", ".mp4"))])
def test_exiftool_reads_zero_dates_neutral_handlers_and_no_extra_tracks(cleaned, name):
    after = exiftool(cleaned[name])
    for key, value in after.items():
        group, _, tag = key.partition(":")
        if tag in ZERO_DATES:
            assert value == "0000:00:00 00:00:00", key
        if tag == "HandlerDescription":
            assert value in ("VideoHandler", "SoundHandler"), key
    assert not any(key.startswith("Track3:") for key in after)
