"""A channel that is a folder the operator's web server serves (the embedded default)."""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
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
from gatekeeper.publishers.targets import read_fields

FILE_MODE = 0o644  # the web server, often another user, must read published copies
FOLDER_MODE = 0o755
TEMP_PREFIX = ".publishing-"
_RETRYABLE = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY}


def _translate(exc: OSError, action: str, folder: Path) -> PublisherError:
    reason = exc.strerror or exc.__class__.__name__
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


class LocalFolderPublisher(Publisher):
    """Publishes by atomic rename into one folder; files carry no metadata beyond their sanitised bytes."""

    kind = "local"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> "LocalFolderPublisher":
        """From {"kind": "local", "path": "/srv/www/photos"}; raises InvalidTarget."""
        fields = read_fields(target, kind="local", required={"path": str}, optional={})
        path = Path(fields["path"]).expanduser()
        if not path.is_absolute():
            raise InvalidTarget(f"the local target path {fields['path']!r} must be absolute")
        return cls(path)

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=str(self.folder / object_name))

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        final = self.folder / object_name
        if final.exists():
            return self.ref_for(object_name)
        try:
            self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX)
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
        except OSError as exc:
            raise _translate(exc, "a takedown", self.folder) from exc

    def _exists(self, object_name: str) -> bool:
        return (self.folder / object_name).is_file()

    def check(self) -> None:
        """The folder (or the nearest folder it will be made in) must be a writable folder."""
        probe = self.folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise PublisherMisconfigured(f"{probe} is not a folder, so {self.folder} cannot hold published copies")
        try:
            with tempfile.NamedTemporaryFile(dir=probe, prefix=TEMP_PREFIX):
                pass
        except OSError as exc:
            raise PublisherMisconfigured(f"{probe} is not writable: {exc.strerror}") from exc

    def describe(self) -> str:
        return f"local folder {self.folder}"
