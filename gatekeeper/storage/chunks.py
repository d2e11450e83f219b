"""Resumable uploads: each chunk is sealed (AES-256-GCM) as it arrives, in a private folder per upload,
until every byte is in and the parts are opened, in order, into a work folder for the sanitiser.

Layout under the root (QUARANTINE_DIR/.work/uploads, 0700): one folder per upload, named by its
random id, holding `meta` (who may use it, the file's declared name, size and type) and
`<index>.part` per chunk. Each is the instance key's id followed by AES-GCM under a key derived
from that instance key and the upload id, bound to the upload id and (for parts) the chunk's
index, offset and length, so a part moved to another index or another upload does not open.
Chunk N covers bytes [N * chunk_bytes, min(size, (N + 1) * chunk_bytes)).

Callers handle ChunkError: UnknownUpload (none, or not this owner's: answer as not found),
ChunkRefused (out of range, wrong length, over a limit), ChunkConflict (differs from the stored
bytes), Incomplete (bytes still missing), PartDamaged (a stored part no longer opens; it was removed
and can be sent again), and TooManyUploads.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from consent_db.sealing import SealError, seal, unseal
from gatekeeper.storage.envelope import KEY_ID_BYTES, Keyring, key_id

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_ID = re.compile(r"^[0-9a-f]{32}$")
_FINISHING = ".finishing"


class ChunkError(Exception):
    """A resumable upload cannot do what was asked; the message is one plain sentence."""


class UnknownUpload(ChunkError):
    """No such upload, or it belongs to another account or tablet."""


class ChunkRefused(ChunkError):
    """The chunk or request is unusable (out of range, wrong length, over a limit); nothing changed."""


class ChunkConflict(ChunkError):
    """Different bytes are already stored for this chunk; nothing changed."""


class Incomplete(ChunkError):
    """Some bytes have not arrived yet (or the upload is being finished by another request)."""


class PartDamaged(ChunkError):
    """A stored part no longer opens (altered or moved); it was removed so it can be sent again."""

    def __init__(self, message: str, index: int):
        super().__init__(message)
        self.index = index


class TooLarge(ChunkRefused):
    """The declared file is larger than the service accepts."""


class TooManyUploads(ChunkError):
    """The owner already has the most unfinished uploads allowed."""


@dataclass(frozen=True)
class UploadOwner:
    """Who may touch an upload: the account and the tablet it was started from, in one setting."""

    account_id: int | None
    device_id: int | None
    setting_id: int


@dataclass(frozen=True)
class UploadInfo:
    """One upload in progress, as its owner declared it when starting."""

    upload_id: str
    owner: UploadOwner
    name: str
    size: int
    mime: str
    chunk_bytes: int
    started_at: float

    @property
    def chunk_count(self) -> int:
        return max(1, -(-self.size // self.chunk_bytes))

    def span(self, index: int) -> tuple[int, int]:
        """Offset and length of chunk index; raises ChunkRefused outside the file."""
        if not 0 <= index < self.chunk_count:
            raise ChunkRefused(f"chunk {index} is outside this file (chunks 0 to {self.chunk_count - 1})")
        offset = index * self.chunk_bytes
        return offset, min(self.chunk_bytes, self.size - offset)


def _derive(instance_key: bytes, upload_id: str) -> bytes:
    # One key per upload: parts of different uploads never share a key, whatever the nonces.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=upload_id.encode("ascii"),
                info=b"gatekeeper/chunked-upload").derive(instance_key)


def _meta_context(upload_id: str) -> bytes:
    return b"gatekeeper/upload-meta\x00" + upload_id.encode("ascii")


def _part_context(upload_id: str, index: int, offset: int, length: int) -> bytes:
    return b"gatekeeper/upload-chunk\x00" + f"{upload_id}\x00{index}\x00{offset}\x00{length}".encode("ascii")


def _write_private(path: Path, data: bytes) -> None:
    """Write data to path all at once (a reader sees the old file or the whole new one)."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class ChunkStore:
    """Sealed chunks of unfinished uploads in a private folder; see the module doc for what callers handle."""

    def __init__(self, root: str | Path, keyring: Keyring, *, chunk_bytes: int, max_bytes: int,
                 max_open: int = 20, clock=time.time):
        if chunk_bytes < 1 or max_bytes < 1 or max_open < 1:
            raise ValueError("chunk size, largest upload and open uploads must be positive")
        self.root = Path(root)
        self.keyring = keyring
        self.chunk_bytes = chunk_bytes
        self.max_bytes = max_bytes
        self.max_open = max_open
        self.clock = clock

    # sealing -------------------------------------------------------------------------------------

    def _seal(self, upload_id: str, plain: bytes, context: bytes) -> bytes:
        key = self.keyring.current
        return key_id(key) + seal(_derive(key, upload_id), plain, context)

    def _open(self, upload_id: str, sealed: bytes, context: bytes) -> bytes:
        """The plaintext; raises SealError when it was altered, moved or sealed under an unknown key."""
        key = self.keyring.find(sealed[:KEY_ID_BYTES])
        if key is None:
            raise SealError("sealed under a key this instance does not hold")
        return unseal(_derive(key, upload_id), sealed[KEY_ID_BYTES:], context)

    # folders -------------------------------------------------------------------------------------

    def _folder(self, upload_id: str) -> Path:
        if not isinstance(upload_id, str) or not _ID.match(upload_id):
            raise UnknownUpload("there is no such upload")
        return self.root / upload_id

    def _read_info(self, folder: Path, upload_id: str) -> UploadInfo:
        try:
            sealed = (folder / "meta").read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise UnknownUpload("there is no such upload") from None
        try:
            data = json.loads(self._open(upload_id, sealed, _meta_context(upload_id)))
        except (SealError, ValueError):
            raise UnknownUpload("there is no such upload") from None
        data["owner"] = UploadOwner(**data["owner"])
        return UploadInfo(**data)

    def info(self, upload_id: str, owner: UploadOwner) -> UploadInfo:
        """The upload, when owner started it; raises UnknownUpload otherwise."""
        info = self._read_info(self._folder(upload_id), upload_id)
        if info.owner != owner:
            raise UnknownUpload("there is no such upload")
        return info

    def open_uploads(self, owner: UploadOwner) -> list[UploadInfo]:
        """The owner's unfinished uploads."""
        found = []
        for folder in self._upload_folders():
            try:
                info = self._read_info(folder, folder.name)
            except UnknownUpload:
                continue
            if info.owner == owner:
                found.append(info)
        return found

    def _upload_folders(self) -> list[Path]:
        try:
            return [p for p in self.root.iterdir() if _ID.match(p.name) and p.is_dir()]
        except FileNotFoundError:
            return []

    # the use of an upload ------------------------------------------------------------------------

    def start(self, owner: UploadOwner, *, name: str, size: int, mime: str) -> UploadInfo:
        """Open a new upload of size bytes; raises ChunkRefused (size) or TooManyUploads."""
        if not isinstance(size, int) or size < 1:
            raise ChunkRefused("the file is empty")
        if size > self.max_bytes:
            raise TooLarge(f"the file is larger than this service accepts ({self.max_bytes // (1024 * 1024)} MB)")
        if len(self.open_uploads(owner)) >= self.max_open:
            raise TooManyUploads(f"{self.max_open} uploads are already unfinished; finish or cancel one first")
        info = UploadInfo(secrets.token_hex(16), owner, name, size, mime, self.chunk_bytes, self.clock())
        self.root.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        folder = self.root / info.upload_id
        folder.mkdir(mode=FOLDER_MODE)
        plain = json.dumps({**asdict(info), "owner": asdict(owner)}).encode()
        _write_private(folder / "meta", self._seal(info.upload_id, plain, _meta_context(info.upload_id)))
        return info

    def put(self, upload_id: str, owner: UploadOwner, index: int, offset: int, data: bytes) -> bool:
        """Store chunk index (at offset); True when new, False when the same bytes were already there.

        Raises UnknownUpload, ChunkRefused (wrong offset or length) or ChunkConflict.
        """
        info = self.info(upload_id, owner)
        start, length = info.span(index)
        if offset != start:
            raise ChunkRefused(f"chunk {index} starts at byte {start}, not {offset}")
        if len(data) != length:
            raise ChunkRefused(f"chunk {index} must be {length} bytes; {len(data)} arrived")
        folder = self._folder(upload_id)
        part = folder / f"{index}.part"
        context = _part_context(upload_id, index, start, length)
        try:
            stored = self._open(upload_id, part.read_bytes(), context)
        except FileNotFoundError:
            stored = None
        except SealError:
            stored = None  # a damaged part is replaced by what the owner sends now
        if stored is not None:
            if stored != data:
                raise ChunkConflict(f"different bytes were already received for chunk {index}")
            return False
        if not (folder / "meta").exists():
            raise UnknownUpload("there is no such upload")  # cancelled or finished meanwhile
        _write_private(part, self._seal(upload_id, data, context))
        os.utime(folder)  # the upload is alive: abandoned-upload clean-up goes by this folder's time
        return True

    def received(self, upload_id: str, owner: UploadOwner) -> list[int]:
        """The indexes of the chunks stored so far, in order."""
        info = self.info(upload_id, owner)
        return self._present(self._folder(upload_id), info)

    @staticmethod
    def _present(folder: Path, info: UploadInfo) -> list[int]:
        return [i for i in range(info.chunk_count) if (folder / f"{i}.part").is_file()]

    @contextmanager
    def assembled(self, upload_id: str, owner: UploadOwner, folder: Path, *,
                  final_errors: tuple[type[BaseException], ...] = ()) -> Iterator[tuple[UploadInfo, Path]]:
        """The whole file, opened part by part into folder/upload, while the with-block runs.

        The upload is reserved meanwhile (a second finish gets Incomplete). Afterwards it is gone, unless
        the block raised something other than final_errors: then it is kept for another try. The
        plaintext file is removed either way. Raises UnknownUpload, Incomplete or PartDamaged first.
        """
        info = self.info(upload_id, owner)
        source = self._folder(upload_id)
        present = set(self._present(source, info))
        missing = [i for i in range(info.chunk_count) if i not in present]
        if missing:
            raise Incomplete(f"{len(missing)} of {info.chunk_count} chunks have not arrived yet")
        busy = source.with_name(upload_id + _FINISHING)
        try:
            os.rename(source, busy)
        except FileNotFoundError:
            raise Incomplete("this upload is already being finished") from None
        keep = True
        target = Path(folder) / "upload"
        try:
            self._write_plaintext(busy, info, target)
            try:
                yield info, target
            except final_errors:
                keep = False
                raise
            keep = False
        finally:
            target.unlink(missing_ok=True)
            if keep:
                os.rename(busy, source)
            else:
                shutil.rmtree(busy, ignore_errors=True)

    def _write_plaintext(self, folder: Path, info: UploadInfo, target: Path) -> None:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            for index in range(info.chunk_count):
                offset, length = info.span(index)
                part = folder / f"{index}.part"
                try:
                    plain = self._open(info.upload_id, part.read_bytes(),
                                       _part_context(info.upload_id, index, offset, length))
                except (SealError, FileNotFoundError):
                    part.unlink(missing_ok=True)
                    raise PartDamaged(f"chunk {index} was damaged in storage; it must be sent again",
                                      index) from None
                out.write(plain)

    def discard(self, upload_id: str, owner: UploadOwner) -> None:
        """Cancel an upload: remove every part; raises UnknownUpload."""
        self.info(upload_id, owner)
        folder = self._folder(upload_id)
        shutil.rmtree(folder, ignore_errors=True)

    def remove_abandoned(self, older_than_s: float, *, now: float | None = None) -> list[str]:
        """Remove uploads nobody added to for older_than_s (and leftovers of interrupted finishes)."""
        now = self.clock() if now is None else now
        removed = []
        try:
            entries = list(self.root.iterdir())
        except FileNotFoundError:
            return []
        for entry in entries:
            try:
                idle = now - _newest_change(entry)
            except FileNotFoundError:
                continue
            if idle < older_than_s:
                continue
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                log.warning("could not remove the abandoned upload %s: %s", entry.name, exc.strerror)
                continue
            removed.append(entry.name)
        if removed:
            log.warning("removed %d abandoned upload(s)", len(removed))
        return removed


def _newest_change(entry: Path) -> float:
    newest = entry.lstat().st_mtime
    if entry.is_dir() and not entry.is_symlink():
        for child in entry.iterdir():
            try:
                newest = max(newest, child.lstat().st_mtime)
            except FileNotFoundError:
                continue
    return newest
