"""Backup archives: named entries streamed through passphrase encryption, never whole in memory.

Layout: header | chunk 0 | chunk 1 | ... | final chunk.
The header is MAGIC, version, scrypt cost (log2 n, r, p), salt, nonce prefix and a check value
that tells a wrong passphrase from a damaged file. scrypt turns the passphrase into an AES-256-GCM
key and the check key. Chunk i is a 4-byte length then AES-GCM over up to CHUNK_SIZE plaintext bytes
with nonce prefix || i || final-flag and the header as associated data, so a changed header,
reordered, dropped or appended chunks, or a file cut short fail instead of yielding a partial restore.

Inside, the plaintext is a sequence of entries: a length-prefixed JSON head ({"kind", "name"}),
then the entry's bytes as length-prefixed pieces ending with an empty piece; an empty head ends it.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import struct
from typing import BinaryIO, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"GKBACKUP"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
SALT_BYTES = 16
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
# scrypt n = 2**17, r = 8: 128 MiB and about half a second per guess on a small box.
DEFAULT_COST = (17, 8, 1)
# Bounds what a forged header can make a reader spend (memory 128 * r * n bytes).
MAX_LOG_N, MAX_R, MAX_P = 20, 16, 4
_HEADER = struct.Struct(f">8sBBBB{SALT_BYTES}s{NONCE_PREFIX_BYTES}s32s")
_LENGTH = struct.Struct(">I")
_MAX_CHUNKS = 2**32
MAX_HEAD_BYTES = 64 * 1024
MIN_PASSPHRASE = 12


class ArchiveError(Exception):
    """The archive cannot be written or read; the message is a sentence for the operator."""


class WrongPassphrase(ArchiveError):
    """The passphrase does not open this archive (or its header was altered)."""


class ArchiveDamaged(ArchiveError):
    """The archive was altered, cut short or is not a gatekeeper backup."""


def check_passphrase(passphrase: str) -> str:
    """passphrase when long enough to guard an archive kept off the machine; raises ArchiveError."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise ArchiveError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    return passphrase


def _derive(passphrase: str, salt: bytes, cost: tuple[int, int, int]) -> tuple[bytes, bytes]:
    log_n, r, p = cost
    material = Scrypt(salt=salt, length=64, n=2**log_n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return material[:32], material[32:]


def _check_value(check_key: bytes) -> bytes:
    return hmac.new(check_key, b"gatekeeper backup passphrase check", hashlib.sha256).digest()


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    if index >= _MAX_CHUNKS:
        raise ArchiveError("the archive is too large for one backup")
    return prefix + struct.pack(">IB", index, 1 if final else 0)


class _SealingWriter:
    """Buffers plaintext and writes it out as sealed chunks of CHUNK_SIZE."""

    def __init__(self, out: BinaryIO, passphrase: str, cost: tuple[int, int, int]):
        salt, self._prefix = os.urandom(SALT_BYTES), os.urandom(NONCE_PREFIX_BYTES)
        key, check_key = _derive(check_passphrase(passphrase), salt, cost)
        self._aead = AESGCM(key)
        self._header = _HEADER.pack(MAGIC, VERSION, *cost, salt, self._prefix, _check_value(check_key))
        self._out = out
        self._buffer = bytearray()
        self._index = 0
        out.write(self._header)

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), final=False)
            del self._buffer[:CHUNK_SIZE]

    def _emit(self, plain: bytes, *, final: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, final), plain, self._header)
        self._out.write(_LENGTH.pack(len(sealed)) + sealed)
        self._index += 1

    def close(self) -> None:
        self._emit(bytes(self._buffer), final=True)
        self._buffer.clear()


class ArchiveWriter:
    """Write entries into an encrypted archive on out; call close() once every entry is in."""

    def __init__(self, out: BinaryIO, passphrase: str, *, cost: tuple[int, int, int] = DEFAULT_COST):
        self._sink = _SealingWriter(out, passphrase, cost)
        self._closed = False

    def add(self, kind: str, name: str, source: BinaryIO, *, piece: int = CHUNK_SIZE) -> int:
        """Copy source to its end as one entry; returns how many bytes it held."""
        head = json.dumps({"kind": kind, "name": name}, sort_keys=True).encode("utf-8")
        self._sink.write(_LENGTH.pack(len(head)) + head)
        total = 0
        while data := source.read(piece):
            self._sink.write(_LENGTH.pack(len(data)) + data)
            total += len(data)
        self._sink.write(_LENGTH.pack(0))
        return total

    def add_bytes(self, kind: str, name: str, data: bytes) -> None:
        self.add(kind, name, io.BytesIO(data))

    def close(self) -> None:
        if not self._closed:
            self._sink.write(_LENGTH.pack(0))
            self._sink.close()
            self._closed = True


def _read_exact(source: BinaryIO, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        piece = source.read(size - len(data))
        if not piece:
            break
        data += piece
    return bytes(data)


def _open_header(source: BinaryIO, passphrase: str) -> tuple[AESGCM, bytes, bytes]:
    raw = _read_exact(source, _HEADER.size)
    if len(raw) < _HEADER.size or not raw.startswith(MAGIC):
        raise ArchiveDamaged("this is not a gatekeeper backup archive (or its start is missing)")
    magic, version, log_n, r, p, salt, prefix, check = _HEADER.unpack(raw)
    if version != VERSION:
        raise ArchiveDamaged(f"this backup archive has format version {version}; this gatekeeper reads {VERSION}")
    if not (10 <= log_n <= MAX_LOG_N and 1 <= r <= MAX_R and 1 <= p <= MAX_P):
        raise ArchiveDamaged("the backup archive's header is damaged (key-derivation cost out of range)")
    key, check_key = _derive(passphrase, salt, (log_n, r, p))
    if not hmac.compare_digest(_check_value(check_key), check):
        raise WrongPassphrase("the passphrase does not open this backup archive")
    return AESGCM(key), prefix, raw


def _plaintext_chunks(source: BinaryIO, passphrase: str) -> Iterator[bytes]:
    aead, prefix, header = _open_header(source, passphrase)
    index = 0
    while True:
        length_raw = _read_exact(source, _LENGTH.size)
        if len(length_raw) < _LENGTH.size:
            raise ArchiveDamaged(f"the backup archive is cut short (after chunk {index})")
        (length,) = _LENGTH.unpack(length_raw)
        if not TAG_BYTES <= length <= CHUNK_SIZE + TAG_BYTES:
            raise ArchiveDamaged(f"the backup archive is damaged at chunk {index}")
        sealed = _read_exact(source, length)
        if len(sealed) < length:
            raise ArchiveDamaged(f"the backup archive is cut short (in chunk {index})")
        plain = final = None
        for flag in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, index, flag), sealed, header)
            except InvalidTag:
                continue
            final = flag
            break
        if plain is None:
            raise ArchiveDamaged(f"the backup archive was altered or damaged at chunk {index}")
        yield plain
        index += 1
        if final:
            if source.read(1):
                raise ArchiveDamaged("the backup archive has bytes after its end")
            return


class _PlainReader:
    """A read(n) view over the verified plaintext chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._buffer = bytearray()
        self._done = False

    def read(self, size: int) -> bytes:
        while len(self._buffer) < size and not self._done:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                self._done = True
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def exact(self, size: int) -> bytes:
        data = self.read(size)
        if len(data) < size:
            raise ArchiveDamaged("the backup archive ends inside an entry")
        return data


class Entry:
    """One entry being read: its kind, name and its bytes as pieces(), readable once, before the next entry."""

    def __init__(self, kind: str, name: str, reader: _PlainReader):
        self.kind = kind
        self.name = name
        self._reader = reader
        self._finished = False

    def pieces(self) -> Iterator[bytes]:
        while not self._finished:
            (size,) = _LENGTH.unpack(self._reader.exact(_LENGTH.size))
            if size == 0:
                self._finished = True
                return
            if size > CHUNK_SIZE * 4:
                raise ArchiveDamaged("the backup archive has an entry piece larger than any writer makes")
            yield self._reader.exact(size)


def read_entries(source: BinaryIO, passphrase: str) -> Iterator[Entry]:
    """Each entry in order; raises WrongPassphrase before any, ArchiveDamaged where the archive is bad.

    Every byte handed out was authenticated, but a damaged archive is only found when reading reaches
    the damage: to write nothing from a bad archive, read it through once (verify) first.
    """
    reader = _PlainReader(_plaintext_chunks(source, passphrase))
    while True:
        (size,) = _LENGTH.unpack(reader.exact(_LENGTH.size))
        if size == 0:
            if reader.read(1):
                raise ArchiveDamaged("the backup archive has data after its last entry")
            return
        if size > MAX_HEAD_BYTES:
            raise ArchiveDamaged("the backup archive has an entry head larger than any writer makes")
        try:
            head = json.loads(reader.exact(size))
            kind, name = head["kind"], head["name"]
        except (ValueError, KeyError, TypeError):
            raise ArchiveDamaged("the backup archive has an unreadable entry head") from None
        if not isinstance(kind, str) or not isinstance(name, str):
            raise ArchiveDamaged("the backup archive has an unreadable entry head")
        entry = Entry(kind, name, reader)
        yield entry
        for _ in entry.pieces():  # whatever the caller left unread
            pass


def verify(source: BinaryIO, passphrase: str) -> dict[str, int]:
    """Read the whole archive and count entries by kind; raises WrongPassphrase or ArchiveDamaged."""
    counts: dict[str, int] = {}
    for entry in read_entries(source, passphrase):
        for _ in entry.pieces():
            pass
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    return counts
