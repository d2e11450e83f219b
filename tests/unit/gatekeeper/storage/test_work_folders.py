"""Work folders: one per process, and what a killed process left is removed; live work never is."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

from gatekeeper.processes import HOST, this_process
from gatekeeper.storage.workdirs import (
    SAFE_AGE_S,
    UPLOADS_FOLDER,
    clean_work_root,
    owner_of,
    process_work_dir,
    stale_entries,
)


def dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def age(path, seconds):
    then = time.time() - seconds
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            os.utime(os.path.join(folder, name), (then, then))
    os.utime(path, (then, then))


def test_each_process_works_in_a_private_folder_named_after_it(tmp_path):
    folder = process_work_dir(tmp_path / ".work")

    assert owner_of(folder) == this_process()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    assert process_work_dir(tmp_path / ".work") == folder


def test_the_folder_of_a_process_that_died_is_removed_at_once_with_the_plaintext_in_it(tmp_path):
    root = tmp_path / ".work"
    crashed = root / f"proc-{HOST}.{dead_pid()}.abcdef"
    (crashed / "tmpq1w2e3").mkdir(parents=True)
    (crashed / "tmpq1w2e3" / "upload").write_bytes(b"raw 12 MP original with GPS in its EXIF")

    removed = clean_work_root(root)

    assert removed == [crashed]
    assert not crashed.exists()


def test_a_live_process_folder_is_kept_however_idle(tmp_path):
    root = tmp_path / ".work"
    mine = process_work_dir(root)
    (mine / "tmpabc").mkdir()
    age(mine, 10 * SAFE_AGE_S)
    alive = root / f"proc-{HOST}.{os.getppid()}.other-token"
    alive.mkdir()
    age(alive, 10 * SAFE_AGE_S)

    assert clean_work_root(root) == []
    assert (mine / "tmpabc").exists() and alive.exists()


def test_entries_of_unknown_owners_go_only_once_untouched_for_the_safe_age(tmp_path):
    root = tmp_path / ".work"
    old = root / "tmp-from-an-older-version"
    fresh = root / "tmp-being-written"
    remote = root / "proc-other-machine.12.abc"
    for folder in (old, fresh, remote):
        (folder / "inner").mkdir(parents=True)
    age(old, SAFE_AGE_S + 60)
    age(remote, SAFE_AGE_S + 60)
    (fresh / "inner" / "part").write_bytes(b"x")
    age(fresh, SAFE_AGE_S + 60)
    os.utime(fresh / "inner" / "part")  # something deep inside is still being written

    assert sorted(stale_entries(root)) == sorted([old, remote])


def test_a_missing_work_root_is_nothing_to_clean(tmp_path):
    assert clean_work_root(tmp_path / "nowhere") == []


def test_the_sealed_uploads_folder_is_left_to_its_own_age_rule(tmp_path):
    uploads = tmp_path / UPLOADS_FOLDER
    uploads.mkdir()
    old = time.time() - 10 * SAFE_AGE_S
    os.utime(uploads, (old, old))
    assert stale_entries(tmp_path) == []
    assert clean_work_root(tmp_path) == [] and uploads.is_dir()
