"""A channel that is a folder the operator's web server serves (the embedded default).

Copies are written first into a private staging folder BESIDE the channel folder (never inside
it), then fsynced and renamed into place, so the served folder only ever holds whole files: a
process killed half-way leaves its partial copy where the web server does not look. The staging
folder is `<parent>/.<channel folder name>.gatekeeper-tmp`, mode 0700 (the web server, usually
another user, cannot even list it), and must be on the same filesystem as the channel folder for
the rename to be atomic; check() says so when it is not.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

from gatekeeper.publishers.base import (
    InvalidTarget,
    PublishedRef,
    Publisher,
    PublisherError,
    PublisherMisconfigured,
    PublisherUnavailable,
    PublishRefused,
)
from gatekeeper.publishers.kinds import ChannelKind, Takeback, TargetField

FILE_MODE = 0o644  # the web server, often another user, must read published copies
FOLDER_MODE = 0o755
STAGING_MODE = 0o700  # partial copies of children's photos: nobody else may read or list them
STAGING_SUFFIX = ".gatekeeper-tmp"
PART_SUFFIX = ".part"
# Earlier versions staged copies inside the served folder under this prefix; a crash left them there.
LEGACY_TEMP_PREFIX = ".publishing-"
_RETRYABLE = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY}


def _translate(exc: OSError, action: str, folder: Path) -> PublisherError:
    reason = exc.strerror or exc.__class__.__name__
    if exc.errno == errno.EXDEV:
        return PublisherMisconfigured(
            f"cannot finish {action} in {folder}: its staging folder is on another filesystem; "
            "the channel folder must not be a mount point of its own")
    if exc.errno in _RETRYABLE:
        return PublisherUnavailable(f"cannot finish {action} in {folder}: {reason}; it can be retried")
    return PublisherMisconfigured(f"cannot finish {action} in {folder}: {reason}")


def _fsync_folder(folder: Path) -> None:
    # The rename is only durable once the folder entry itself reaches the disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def staging_folder_for(folder: Path) -> Path:
    """Where copies for folder are written before they are renamed into it: a hidden sibling."""
    return folder.parent / f".{folder.name}{STAGING_SUFFIX}"


class LocalFolderPublisher(Publisher):
    """Publishes by atomic rename into one folder; files carry no metadata beyond their sanitised bytes."""

    kind = "local"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.staging = staging_folder_for(self.folder)

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> "LocalFolderPublisher":
        """From {"kind": "local", "path": "/srv/www/photos"}; raises InvalidTarget."""
        fields = KIND.read(target)
        path = Path(fields["path"]).expanduser()
        if not path.is_absolute():
            raise InvalidTarget(f"the local target path {fields['path']!r} must be absolute")
        if path == path.parent:
            raise InvalidTarget("the local target path cannot be the root folder")
        return cls(path)

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=str(self.folder / object_name))

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        final = self.folder / object_name
        if final.exists():
            return self.ref_for(object_name)
        try:
            self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            self._make_staging()
            # The object name starts the temporary name, so a takedown finds a crashed copy of it.
            fd, temp_name = tempfile.mkstemp(dir=self.staging, prefix=f"{object_name}.", suffix=PART_SUFFIX)
        except OSError as exc:
            raise _translate(exc, "publishing", self.folder) from exc
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                self._copy(source, out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, FILE_MODE)
            os.replace(temp, final)
            _fsync_folder(self.folder)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise _translate(exc, "publishing", self.folder) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self.ref_for(object_name)

    def _make_staging(self) -> None:
        self.staging.mkdir(mode=STAGING_MODE, exist_ok=True)
        # mkdir's mode is filtered by the umask and an older folder may have been widened: insist.
        if stat.S_IMODE(self.staging.stat().st_mode) != STAGING_MODE:
            os.chmod(self.staging, STAGING_MODE)

    @staticmethod
    def _copy(source: Path, out) -> None:
        try:
            src = source.open("rb")
        except OSError as exc:
            raise PublishRefused(f"{source} cannot be read: {exc.strerror}") from exc
        with src:
            shutil.copyfileobj(src, out, 1024 * 1024)

    def _remove(self, object_name: str) -> None:
        try:
            (self.folder / object_name).unlink(missing_ok=True)
            # A publish of this name killed before its rename left a partial copy behind: it goes too.
            for leftover in self._parts_of(object_name):
                leftover.unlink(missing_ok=True)
        except OSError as exc:
            raise _translate(exc, "a takedown", self.folder) from exc

    def _parts_of(self, object_name: str) -> list[Path]:
        try:
            return [entry for entry in self.staging.iterdir()
                    if entry.name.startswith(f"{object_name}.") and entry.name.endswith(PART_SUFFIX)]
        except FileNotFoundError:
            return []

    def _exists(self, object_name: str) -> bool:
        return (self.folder / object_name).is_file()

    def leftovers(self, older_than_s: float) -> list[str]:
        """Partial copies a crashed publish left: in the staging folder (older than older_than_s) and
        any an earlier version left inside the served folder (at any age)."""
        return [str(path) for path in self._leftover_paths(older_than_s)]

    def clean_leftovers(self, older_than_s: float) -> list[str]:
        """Remove what leftovers() lists; returns what was removed. Raises PublisherError."""
        removed = []
        try:
            for path in self._leftover_paths(older_than_s):
                path.unlink(missing_ok=True)
                removed.append(str(path))
        except OSError as exc:
            raise _translate(exc, "removing partial copies", self.folder) from exc
        return removed

    def _leftover_paths(self, older_than_s: float) -> list[Path]:
        cutoff = time.time() - older_than_s
        found: list[Path] = []
        for folder, is_leftover in ((self.staging, lambda p: p.stat().st_mtime < cutoff),
                                    (self.folder, lambda p: p.name.startswith(LEGACY_TEMP_PREFIX))):
            try:
                entries = sorted(folder.iterdir())
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise _translate(exc, "looking for partial copies", folder) from exc
            found.extend(entry for entry in entries if entry.is_file() and is_leftover(entry))
        return found

    def check(self) -> None:
        """The folder (or the nearest folder it will be made in) must be a writable folder, and its
        staging folder private and on the same filesystem."""
        probe = self.folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise PublisherMisconfigured(f"{probe} is not a folder, so {self.folder} cannot hold published copies")
        try:
            with tempfile.NamedTemporaryFile(dir=probe, prefix=".gatekeeper-check-"):
                pass
        except OSError as exc:
            raise PublisherMisconfigured(f"{probe} is not writable: {exc.strerror}") from exc
        if self.staging.exists():
            self._check_staging()

    def _check_staging(self) -> None:
        info = self.staging.stat()
        if not stat.S_ISDIR(info.st_mode):
            raise PublisherMisconfigured(f"{self.staging} must be the channel's private staging folder")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise PublisherMisconfigured(
                f"{self.staging} holds partial copies and can be opened by other users: run 'chmod 700 {self.staging}'")
        if self.folder.exists() and self.folder.stat().st_dev != info.st_dev:
            raise PublisherMisconfigured(
                f"{self.staging} is on another filesystem than {self.folder}, so copies cannot be renamed into place")

    def describe(self) -> str:
        return f"local folder {self.folder}"


KIND = ChannelKind(
    name="local", label="A folder a web server shows (the setting's website)",
    where="on the setting's website, from a folder on the setting's own machine that its web server shows",
    takeback=Takeback.BY_DELETION, make=LocalFolderPublisher.from_target,
    fields=(TargetField("path", "Folder (absolute path)", required=True,
                        help="the folder the web server serves, e.g. /srv/www/photos"),),
)
