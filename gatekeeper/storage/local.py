"""The default quarantine: sealed files in a private folder on the service's own disk."""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from gatekeeper.storage.base import (
    ItemNotFound,
    QuarantineMisconfigured,
    QuarantineStore,
    is_item_key,
    os_error,
)
from gatekeeper.storage.envelope import Keyring

SUFFIX = ".sealed"
FOLDER_MODE = 0o700
TEMP_PREFIX = ".incoming-"


class LocalQuarantine(QuarantineStore):
    """One file per item, <folder>/<item_key>.sealed, mode 0600 inside a 0700 folder."""

    kind = "local"

    def __init__(self, folder: str | Path, keyring: Keyring, **options):
        super().__init__(keyring, **options)
        self.folder = Path(folder)

    def _path(self, item_key: str) -> Path:
        return self.folder / f"{item_key}{SUFFIX}"

    def _write(self, item_key: str, sealed: BinaryIO) -> None:
        try:
            self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            # mkstemp makes the file 0600, so no other user can open it even while it is written.
            fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX)
        except OSError as exc:
            raise os_error(exc, "storing a quarantined item", self.folder) from exc
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(sealed, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, self._path(item_key))
            self._fsync_folder()
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise os_error(exc, "storing a quarantined item", self.folder) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _fsync_folder(self) -> None:
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    @contextmanager
    def _open(self, item_key: str) -> Iterator[BinaryIO]:
        try:
            handle = self._path(item_key).open("rb")
        except FileNotFoundError:
            raise ItemNotFound(f"no quarantined item {item_key}") from None
        except OSError as exc:
            raise os_error(exc, "reading a quarantined item", self.folder) from exc
        with handle:
            yield handle

    def _delete(self, item_key: str) -> None:
        try:
            self._path(item_key).unlink(missing_ok=True)
        except OSError as exc:
            raise os_error(exc, "deleting a quarantined item", self.folder) from exc

    def _exists(self, item_key: str) -> bool:
        return self._path(item_key).is_file()

    def _keys(self) -> Iterator[str]:
        try:
            names = sorted(os.listdir(self.folder))
        except FileNotFoundError:
            return iter(())
        except OSError as exc:
            raise os_error(exc, "listing the quarantine", self.folder) from exc
        return (name[: -len(SUFFIX)] for name in names
                if name.endswith(SUFFIX) and is_item_key(name[: -len(SUFFIX)]))

    def check(self) -> None:
        if not self.folder.is_dir():
            raise QuarantineMisconfigured(f"{self.folder} does not exist or is not a folder: run 'gatekeeper init'")
        mode = stat.S_IMODE(self.folder.stat().st_mode)
        if mode & 0o077:
            raise QuarantineMisconfigured(
                f"{self.folder} can be opened by other users (mode {mode:o}): run 'chmod 700 {self.folder}'")
        try:
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=TEMP_PREFIX):
                pass
        except OSError as exc:
            raise QuarantineMisconfigured(f"{self.folder} is not writable: {exc.strerror}") from exc

    def describe(self) -> str:
        return f"local folder {self.folder} (sealed under key {self.key_fingerprint()})"
