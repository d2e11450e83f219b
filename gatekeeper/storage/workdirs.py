"""Private work folders: where plaintext waits while a request or a job handles it, and nowhere else.

Each process works in a folder of its own under the work root (QUARANTINE_DIR/.work), named after
its owner (host.pid.token). Requests and jobs remove what they write when they end; what a killed
process left (a raw upload with its GPS, a decrypted video) is removed at the next start-up or
minute sweep: at once when its owner is known to be gone, otherwise once it is older than a
safe age.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from gatekeeper.processes import Owner, this_process

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
# Nothing a live request or job writes sits untouched this long; older entries were left by a crash.
SAFE_AGE_S = 3600.0
_OWNER_MARK = "proc-"
# Sealed chunks of unfinished uploads (chunks.py): no plaintext, and removed by their own age rule.
UPLOADS_FOLDER = "uploads"


def process_work_dir(root: str | Path) -> Path:
    """This process's private work folder under root (made 0700 on first use)."""
    root = Path(root)
    me = this_process()
    folder = root / f"{_OWNER_MARK}{me.host}.{me.pid}.{me.token}"
    if not folder.is_dir():
        root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
    return folder


def owner_of(entry: Path) -> Owner | None:
    """The process a work folder belongs to, from its name; None for other entries."""
    if not entry.name.startswith(_OWNER_MARK):
        return None
    try:
        host, pid, token = entry.name[len(_OWNER_MARK):].rsplit(".", 2)
        return Owner(host, int(pid), token)
    except ValueError:
        return None


def _newest_change(entry: Path) -> float:
    """The latest modification time of entry or anything inside it."""
    newest = entry.lstat().st_mtime
    if entry.is_dir() and not entry.is_symlink():
        for folder, dirs, files in os.walk(entry):
            for name in (*dirs, *files):
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except FileNotFoundError:
                    continue
    return newest


def stale_entries(root: str | Path, *, older_than_s: float = SAFE_AGE_S, now: float | None = None) -> list[Path]:
    """Entries of the work root left by processes that are gone or untouched for older_than_s."""
    root = Path(root)
    now = time.time() if now is None else now
    try:
        entries = sorted(root.iterdir())
    except FileNotFoundError:
        return []
    mine = this_process()
    stale = []
    for entry in entries:
        if entry.name == UPLOADS_FOLDER:
            continue
        owner = owner_of(entry)
        if owner == mine:
            continue
        if owner is not None and owner.host == mine.host:
            # A live process's folder stays, however idle: it may be about to write into it.
            if owner.is_gone():
                stale.append(entry)
            continue
        try:
            if _newest_change(entry) < now - older_than_s:
                stale.append(entry)
        except FileNotFoundError:
            continue  # removed meanwhile by its owner
    return stale


def clean_work_root(root: str | Path, *, older_than_s: float = SAFE_AGE_S, now: float | None = None) -> list[Path]:
    """Remove what stale_entries() finds; returns what was removed (errors are logged, not raised)."""
    removed = []
    for entry in stale_entries(root, older_than_s=older_than_s, now=now):
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove %s from the work folder: %s", entry, exc.strerror)
            continue
        removed.append(entry)
    if removed:
        log.warning("removed %d work folder entries left by interrupted requests or jobs", len(removed))
    return removed
