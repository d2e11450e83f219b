"""`gatekeeper backup` and `restore` round trips on SQLite and PostgreSQL: the restored instance's audit
chain verifies, every item opens, every published copy is accounted for; bad archives write nothing."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.integration.gatekeeper.cli.instance_data import CHEAP, PASSPHRASE, Operator, counts, with_data

ROOT = Path(__file__).resolve().parents[4]


def only_backup(folder: Path) -> Path:
    [archive] = [p for p in folder.iterdir() if p.suffix == ".gkb"]
    return archive


@pytest.fixture
def faces(faces_dir) -> Path:
    return faces_dir


def test_a_sqlite_instance_round_trips_and_the_restore_checks_out(tmp_path, faces):
    op = Operator(tmp_path / "live")
    data = with_data(op, faces)
    backups = tmp_path / "backups"
    backups.mkdir()
    made = op.json("backup", backups)
    assert made["quarantine_objects"] >= 2 and made["channel_files"] == 1 and made["database"] == "sqlite"
    archive = only_backup(backups)
    assert oct(archive.stat().st_mode & 0o777) == oct(0o600)

    new = Operator(tmp_path / "restored")
    result = new.json("restore", archive)
    check = result["check"]
    assert check["ok"] and check["audit_ok"] and check["audit_events"] == counts(op.database_url)["audit_events"]
    assert check["objects_opened"] == made["quarantine_objects"] and check["publications_checked"] == 1
    assert counts(new.database_url) == counts(op.database_url)
    assert "intact" in new("audit", "verify").output
    assert new.json("queue", "show", data["item"])["state"] == op.json("queue", "show", data["item"])["state"]
    assert result["instance_id"] != op.json("init")["instance_id"], "a restore beside the old one has its own queue"
    # The restored instance takes its published copy down from its own channel folder.
    [copy] = (new.instance / "channels" / "website").iterdir()
    new("takedown", data["item"])
    assert not copy.exists()
    assert len(list((op.instance / "channels" / "website").iterdir())) == 1, "the old instance's copy is untouched"
    assert new("doctor").exit_code == 0


def test_a_published_copy_lost_before_the_backup_is_reported_after_restore(tmp_path, faces):
    op = Operator(tmp_path / "live")
    with_data(op, faces)
    [copy] = (op.instance / "channels" / "website").iterdir()
    copy.unlink()
    stray = op.instance / "channels" / "website" / "AAAAAAAAAAAAAAAAAAAAAAAA.jpg"
    stray.write_bytes(b"not ours")
    (tmp_path / "b").mkdir()
    op("backup", tmp_path / "b")
    result = Operator(tmp_path / "restored")("restore", only_backup(tmp_path / "b"), code=1)
    assert f"missing from its channel: website: {copy.name}" in result.output
    assert f"copy on a channel with no live publication: website: {stray.name}" in result.output
    assert "check FOUND PROBLEMS" in result.output


@pytest.mark.parametrize("damage", ["passphrase", "flip", "cut"])
def test_a_wrong_passphrase_or_a_damaged_archive_writes_nothing(tmp_path, faces, damage):
    op = Operator(tmp_path / "live")
    with_data(op, faces)
    (tmp_path / "b").mkdir()
    op("backup", tmp_path / "b")
    archive = only_backup(tmp_path / "b")
    data = bytearray(archive.read_bytes())
    env = {}
    if damage == "passphrase":
        env = {"GATEKEEPER_BACKUP_PASSPHRASE": "another passphrase entirely"}
    elif damage == "flip":
        data[-100] ^= 0x10  # in the last chunk, after the database and quarantine entries
    else:
        data = data[:-30]
    archive.write_bytes(bytes(data))
    target = tmp_path / "restored"
    result = Operator(target)("restore", archive, code=1, env=env)
    expected = "passphrase does not open" if damage == "passphrase" else ("altered" if damage == "flip" else "cut short")
    assert expected in result.output
    assert not target.exists()


def test_restore_refuses_a_folder_that_is_not_empty(tmp_path, faces):
    op = Operator(tmp_path / "live")
    with_data(op, faces)
    (tmp_path / "b").mkdir()
    op("backup", tmp_path / "b")
    result = op("restore", only_backup(tmp_path / "b"), code=1)
    assert "is not empty" in result.output
    assert "intact" in op("audit", "verify").output


def test_the_passphrase_comes_from_a_file_and_a_short_one_is_refused(tmp_path, faces):
    op = Operator(tmp_path / "live")
    op("init")
    (tmp_path / "b").mkdir()
    phrase = tmp_path / "phrase"
    phrase.write_text("short\n")
    result = op("backup", tmp_path / "b", "--passphrase-file", phrase, code=1, env={"GATEKEEPER_BACKUP_PASSPHRASE": None})
    assert "at least 12" in result.output and not list((tmp_path / "b").iterdir())
    phrase.write_text(PASSPHRASE + "\n")
    op("backup", tmp_path / "b", "--passphrase-file", phrase, env={"GATEKEEPER_BACKUP_PASSPHRASE": None})
    Operator(tmp_path / "restored")("restore", only_backup(tmp_path / "b"), "--passphrase-file", phrase,
                                    env={"GATEKEEPER_BACKUP_PASSPHRASE": None})


def test_without_a_passphrase_and_without_a_terminal_nothing_is_written(tmp_path):
    op = Operator(tmp_path / "live")
    op("init")
    (tmp_path / "b").mkdir()
    result = op("backup", tmp_path / "b", code=1, env={"GATEKEEPER_BACKUP_PASSPHRASE": None})
    assert "no passphrase" in result.output and not list((tmp_path / "b").iterdir())


def test_backups_inside_the_instance_folder_are_refused(tmp_path):
    op = Operator(tmp_path / "live")
    op("init")
    inside = op.instance / "backups"
    inside.mkdir()
    assert "outside the instance folder" in op("backup", inside, code=1).output
    assert list(inside.iterdir()) == []


def test_keep_prunes_the_oldest_backups_and_nothing_else(tmp_path):
    op = Operator(tmp_path / "live")
    op("init")
    backups = tmp_path / "b"
    backups.mkdir()
    old = ["gatekeeper-backup-20240101T010000Z.gkb", "gatekeeper-backup-20240102T010000Z.gkb",
           "gatekeeper-backup-20240103T010000Z.gkb"]
    for name in old:
        (backups / name).write_bytes(b"older")
    (backups / "notes.txt").write_text("the operator's own file")
    made = op.json("backup", backups, "--keep", "2")
    assert made["pruned"] == old[:2]
    assert sorted(p.name for p in backups.iterdir()) == sorted([old[2], Path(made["path"]).name, "notes.txt"])


def test_a_backup_taken_during_uploads_restores_with_every_row_backed_by_its_object(tmp_path, faces):
    op = Operator(tmp_path / "live")
    data = with_data(op, faces)
    backups = tmp_path / "b"
    backups.mkdir()
    env = {**os.environ, **CHEAP, "PYTHONPATH": str(ROOT)}
    stop = threading.Event()
    uploaded = []

    def upload():
        while not stop.is_set():
            [row] = op.json("ingest", "--by", data["staff"], faces / "negatives/skimage_coffee.png")
            uploaded.append(row["item"])

    uploader = threading.Thread(target=upload)
    uploader.start()
    try:
        # A real second process, as a backup run by a timer beside a busy service would be.
        done = subprocess.run([sys.executable, "-m", "gatekeeper", "--instance", str(op.instance), "backup", str(backups)],
                              env=env, capture_output=True, text=True, timeout=1200)
    finally:
        stop.set()
        uploader.join()
    assert done.returncode == 0, done.stderr
    assert uploaded, "uploads ran while the backup did"
    result = Operator(tmp_path / "restored").json("restore", only_backup(backups))
    assert result["check"]["ok"], result["check"]
    assert result["check"]["missing_objects"] == []


@pytest.mark.postgres
def test_a_postgresql_instance_round_trips_into_a_new_empty_database(tmp_path, faces, postgres_url):
    from tests.conftest import fresh_postgres

    op = Operator(tmp_path / "live", env={"GATEKEEPER_DATABASE_URL": postgres_url})
    data = with_data(op, faces)
    (tmp_path / "b").mkdir()
    made = op.json("backup", tmp_path / "b")
    assert made["database"] == "postgresql"
    archive = only_backup(tmp_path / "b")
    refused = Operator(tmp_path / "into-live")("restore", archive, "--database-url", postgres_url, code=1)
    assert "not empty" in refused.output and not (tmp_path / "into-live").exists()
    with fresh_postgres(os.environ["GATEKEEPER_TEST_DATABASE_URL"]) as empty:
        new = Operator(tmp_path / "restored")
        result = new.json("restore", archive, "--database-url", empty)
        assert result["check"]["ok"], result["check"]
        assert f"database_url = \"{empty}\"" in (new.instance / "config.toml").read_text()
        assert counts(empty) == counts(postgres_url)
        assert "intact" in new("audit", "verify").output
        assert new.json("queue", "show", data["item"])["state"] == op.json("queue", "show", data["item"])["state"]
