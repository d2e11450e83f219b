"""QuarantineStore: where sanitised media waits before publishing, always sealed (see envelope.py)."""
from __future__ import annotations

import errno
import io
import os
import re
import tempfile
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import BinaryIO, Iterator

from gatekeeper.storage import envelope
from gatekeeper.storage.envelope import DEFAULT_CHUNK_SIZE, Keyring

_ITEM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
_RETRYABLE = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY}


class QuarantineError(Exception):
    """The quarantine could not do what was asked; the message is a sentence for an operator."""


class QuarantineUnavailable(QuarantineError):
    """The store cannot be reached or is failing now; retrying later may work."""


class QuarantineMisconfigured(QuarantineError):
    """The store's settings are wrong (no such bucket or folder, access denied, public bucket)."""


class ItemNotFound(QuarantineError):
    """No quarantined object has this item key."""


class QuarantineRefused(QuarantineError):
    """The request itself is unusable (bad item key, unreadable source, unwritable destination)."""


def is_item_key(name: object) -> bool:
    """Whether name is a safe single item key (no path separators, no dots)."""
    return isinstance(name, str) and _ITEM_KEY.match(name) is not None


def check_item_key(item_key: str) -> str:
    """item_key when it is a safe single name; raises QuarantineRefused otherwise."""
    if not is_item_key(item_key):
        raise QuarantineRefused(
            f"{item_key!r} is not a quarantine item key (1 to 128 letters, digits, '-' or '_')")
    return item_key


def os_error(exc: OSError, action: str, where: object) -> QuarantineError:
    """Our error for a filesystem failure: retryable when the disk is full or failing."""
    reason = exc.strerror or exc.__class__.__name__
    if exc.errno in _RETRYABLE:
        return QuarantineUnavailable(f"cannot finish {action} in {where}: {reason}; it can be retried")
    return QuarantineMisconfigured(f"cannot finish {action} in {where}: {reason}")


def _context(item_key: str) -> bytes:
    # Sealing binds each object to its key, so objects swapped between items do not open.
    return b"quarantine-item:" + item_key.encode("ascii")


class QuarantineStore(ABC):
    """Sealed objects by item key. Subclasses store opaque bytes; this class seals and opens them.

    Readers raise ItemNotFound, QuarantineUnavailable, QuarantineMisconfigured, QuarantineRefused,
    or envelope.EnvelopeError (WrongKey, Tampered, Truncated) and then return no plaintext.
    """

    kind: str = ""

    def __init__(self, keyring: Keyring, *, chunk_size: int = DEFAULT_CHUNK_SIZE):
        self.keyring = keyring
        self.chunk_size = chunk_size

    def put(self, item_key: str, source: Path) -> None:
        """Seal the file at source under the current instance key and store it as item_key (replacing it)."""
        check_item_key(item_key)
        try:
            plain = Path(source).open("rb")
        except OSError as exc:
            raise QuarantineRefused(f"{source} cannot be read: {exc.strerror}") from exc
        with plain:
            self._write(item_key, envelope.sealing_reader(
                plain, self.keyring.current, _context(item_key), self.chunk_size))

    def open_bytes(self, item_key: str) -> bytes:
        """The whole plaintext in memory: for photos; use fetch_to for videos."""
        out = io.BytesIO()
        with self._open(check_item_key(item_key)) as sealed:
            envelope.open_stream(sealed, out, self.keyring, _context(item_key))
        return out.getvalue()

    def open_chunks(self, item_key: str, *, start: int = 0, length: int | None = None) -> "PlaintextChunks":
        """The plaintext (or the byte range start, start+length) as verified pieces of at most one
        chunk each, for streaming to a client; close() the result when done (WSGI servers do).

        Raises ItemNotFound, the store's errors, WrongKey or Tampered before returning (the header
        and the first chunk are checked here); iterating raises Tampered or Truncated where the
        object was cut or altered, after the pieces before that point were handed out.
        """
        check_item_key(item_key)
        stack = ExitStack()
        try:
            sealed = stack.enter_context(self._open(item_key))
            pieces = envelope.iter_plaintext(sealed, self.keyring, _context(item_key), start=start, length=length)
            first = next(pieces, None)
        except BaseException:
            stack.close()
            raise
        return PlaintextChunks(first, pieces, stack)

    def fetch_to(self, item_key: str, dest: Path) -> None:
        """Write the plaintext to dest (mode 0600); dest appears only once every chunk was verified."""
        check_item_key(item_key)
        dest = Path(dest)
        try:
            fd, scratch_name = tempfile.mkstemp(dir=dest.parent, prefix=".fetching-")
        except OSError as exc:
            raise QuarantineRefused(f"cannot write into {dest.parent}: {exc.strerror}") from exc
        scratch = Path(scratch_name)
        try:
            with os.fdopen(fd, "wb") as out, self._open(item_key) as sealed:
                envelope.open_stream(sealed, out, self.keyring, _context(item_key))
            os.replace(scratch, dest)
        except OSError as exc:
            scratch.unlink(missing_ok=True)
            raise os_error(exc, "fetching a quarantined item", dest.parent) from exc
        except BaseException:
            scratch.unlink(missing_ok=True)
            raise

    def read_sealed(self, item_key: str) -> AbstractContextManager[BinaryIO]:
        """The object's stored (sealed) bytes, for copying as they are into a backup; raises ItemNotFound."""
        return self._open(check_item_key(item_key))

    def write_sealed(self, item_key: str, sealed: BinaryIO) -> None:
        """Store sealed bytes copied from a backup as item_key, unopened (the instance key opens them later)."""
        self._write(check_item_key(item_key), sealed)

    def delete(self, item_key: str) -> None:
        """Remove the object completely; deleting what is already gone is fine."""
        self._delete(check_item_key(item_key))

    def exists(self, item_key: str) -> bool:
        return self._exists(check_item_key(item_key))

    def keys(self) -> Iterator[str]:
        """Every stored item key (in no promised order)."""
        return self._keys()

    def key_fingerprint(self) -> str:
        """The current instance key's public id, for doctor and logs."""
        return envelope.key_id(self.keyring.current).hex()

    def rewrap_item(self, item_key: str, old: Keyring, new_key: bytes) -> bool:
        """Re-wrap one object's data key under new_key; False when it already was. Raises EnvelopeError."""
        check_item_key(item_key)
        with self._open(item_key) as sealed:
            header = envelope.read_header(sealed)
            if header.key_id == envelope.key_id(new_key):
                return False
            fresh = envelope.rewrapped_header(header, old, new_key, _context(item_key))
            # Only the header changes; the body is copied as it is, never decrypted.
            self._write(item_key, envelope.prefixed_reader(fresh.to_bytes(), sealed))
        return True

    @abstractmethod
    def _write(self, item_key: str, sealed: BinaryIO) -> None:
        """Store the sealed stream as item_key atomically: readers see the old object or the new one."""

    @abstractmethod
    def _open(self, item_key: str) -> AbstractContextManager[BinaryIO]:
        """The stored bytes of item_key; raises ItemNotFound."""

    @abstractmethod
    def _delete(self, item_key: str) -> None: ...

    @abstractmethod
    def _exists(self, item_key: str) -> bool: ...

    @abstractmethod
    def _keys(self) -> Iterator[str]: ...

    @abstractmethod
    def check(self) -> None:
        """Whether the store is usable and private; raises QuarantineError with a plain sentence."""

    @abstractmethod
    def describe(self) -> str:
        """What this store is, for doctor and logs; never includes secrets."""


class PlaintextChunks:
    """An iterator of verified plaintext pieces that holds the stored object open until close()."""

    def __init__(self, first: bytes | None, rest: Iterator[bytes], resources: ExitStack):
        self._first = first
        self._rest = rest
        self._resources = resources

    def __iter__(self) -> "PlaintextChunks":
        return self

    def __next__(self) -> bytes:
        if self._first is not None:
            piece, self._first = self._first, None
            return piece
        try:
            return next(self._rest)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._first = None
        rest, self._rest = self._rest, iter(())
        getattr(rest, "close", lambda: None)()
        self._resources.close()
