"""What a backup takes from the channel folders, which backups retention prunes, and how a restore moves
paths from the old instance folder to the new one."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gatekeeper.app.backup import BackupError, _channel_files, _moved, backup_name, prune


def test_staging_folders_and_partial_copies_in_channel_folders_stay_out_of_backups(tmp_path):
    (tmp_path / "website").mkdir()
    (tmp_path / "website" / "AAAAAAAAAAAAAAAAAAAAAAAA.jpg").write_bytes(b"copy")
    (tmp_path / ".website.gatekeeper-tmp").mkdir()
    (tmp_path / ".website.gatekeeper-tmp" / "partial.jpg").write_bytes(b"half")
    (tmp_path / "website" / ".partial").write_bytes(b"half")
    assert [name for name, _ in _channel_files(tmp_path)] == ["website/AAAAAAAAAAAAAAAAAAAAAAAA.jpg"]


def test_backup_names_sort_by_time():
    early = backup_name(datetime(2025, 3, 9, 1, 30, tzinfo=timezone.utc))
    late = backup_name(datetime(2025, 3, 10, 1, 30, tzinfo=timezone.utc))
    assert early == "gatekeeper-backup-20250309T013000Z.gkb" and early < late


def test_prune_keeps_the_newest_and_touches_nothing_else(tmp_path):
    names = [backup_name(datetime(2025, 1, day, tzinfo=timezone.utc)) for day in (1, 2, 3, 4)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "gatekeeper-backup-notes.txt").write_text("mine")
    (tmp_path / "folder.gkb").mkdir()
    assert prune(tmp_path, 2) == names[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[2:], "gatekeeper-backup-notes.txt", "folder.gkb"])


def test_prune_refuses_to_keep_nothing(tmp_path):
    with pytest.raises(BackupError):
        prune(tmp_path, 0)


@pytest.mark.parametrize("value, expected", [
    ("/srv/old/quarantine", "/srv/new/quarantine"),
    ("sqlite:////srv/old/gatekeeper.db", "sqlite:////srv/new/gatekeeper.db"),
    ("/srv/old", "/srv/new"),
    ("/srv/older/quarantine", "/srv/older/quarantine"),
    ("s3://bucket/srv/old", "s3://bucket/srv/old"),
    ({"kind": "local", "path": "/srv/old/channels/website"}, {"kind": "local", "path": "/srv/new/channels/website"}),
])
def test_paths_inside_the_old_instance_folder_move_and_nothing_else_does(value, expected):
    assert _moved(value, "/srv/old", "/srv/new") == expected
