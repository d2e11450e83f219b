"""Envelope encryption for quarantined media: a fresh data key per object, chunked AES-256-GCM,
the data key wrapped by the instance key.

Layout: header | chunk 0 | chunk 1 | ... | final chunk.
The header is MAGIC, version, chunk size, nonce prefix (the fixed part, authenticated by every
chunk), then the instance key's id and the wrapped data key (the part a key rotation replaces).
Chunk i is AES-GCM over chunk_size plaintext bytes (fewer in the final one) with nonce
prefix || i || final-flag, so reordering, dropping or appending chunks, or cutting the stream
short, fails authentication instead of yielding part of a picture.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from consent_db.sealing import SealError, seal, unseal

MAGIC = b"GKQE"
VERSION = 1
KEY_BYTES = 32
KEY_ID_BYTES = 8
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 64 * 1024 * 1024  # bounds what a forged header can make a reader allocate
_FIXED = struct.Struct(">4sBI7s")
_WRAPPED_BYTES = len(seal(bytes(KEY_BYTES), bytes(KEY_BYTES), b""))
HEADER_BYTES = _FIXED.size + KEY_ID_BYTES + _WRAPPED_BYTES
_MAX_CHUNKS = 2**32


class EnvelopeError(Exception):
    """Quarantined bytes cannot be opened; no plaintext was returned."""


class WrongKey(EnvelopeError):
    """The object was sealed under an instance key this instance does not hold."""


class Tampered(EnvelopeError):
    """The object was altered, is not an envelope, or belongs to another item."""


class Truncated(EnvelopeError):
    """The object ends early: its header or its end marker is missing."""


def key_id(key: bytes) -> bytes:
    """A short public fingerprint of an instance key, stored in each header to pick the key."""
    return hmac.new(key, b"gatekeeper quarantine key id", hashlib.sha256).digest()[:KEY_ID_BYTES]


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"an instance key must be {KEY_BYTES} bytes")
    return bytes(key)


@dataclass(frozen=True)
class Keyring:
    """The key new objects are sealed under, and older ones that may still open objects."""

    current: bytes
    older: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        _check_key(self.current)
        for key in self.older:
            _check_key(key)

    def find(self, wanted: bytes) -> bytes | None:
        for key in (self.current, *self.older):
            if hmac.compare_digest(key_id(key), wanted):
                return key
        return None


@dataclass(frozen=True)
class Header:
    chunk_size: int
    nonce_prefix: bytes
    key_id: bytes
    wrapped_key: bytes

    @property
    def fixed(self) -> bytes:
        return _FIXED.pack(MAGIC, VERSION, self.chunk_size, self.nonce_prefix)

    def to_bytes(self) -> bytes:
        return self.fixed + self.key_id + self.wrapped_key


def _wrap_context(fixed: bytes, kid: bytes, context: bytes) -> bytes:
    # Binds the data key to this object's parameters and to the item it belongs to.
    return b"gatekeeper/quarantine/data-key\x00" + fixed + kid + context


def _wrap(fixed: bytes, instance_key: bytes, data_key: bytes, context: bytes) -> tuple[bytes, bytes]:
    kid = key_id(instance_key)
    return kid, seal(instance_key, data_key, _wrap_context(fixed, kid, context))


def _unwrap(header: Header, keyring: Keyring, context: bytes) -> bytes:
    instance_key = keyring.find(header.key_id)
    if instance_key is None:
        raise WrongKey(f"sealed under instance key {header.key_id.hex()}, which this instance does not hold")
    try:
        return unseal(instance_key, header.wrapped_key, _wrap_context(header.fixed, header.key_id, context))
    except SealError:
        raise Tampered("the object's key header was altered or belongs to another item") from None


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    """Up to size bytes, fewer only at the end of the stream (network bodies return short reads)."""
    parts, wanted = [], size
    while wanted:
        part = stream.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def read_header(stream: BinaryIO) -> Header:
    """The header at the start of stream; raises Truncated or Tampered."""
    raw = _read_exact(stream, HEADER_BYTES)
    if len(raw) >= len(MAGIC) and raw[: len(MAGIC)] != MAGIC:
        raise Tampered("this is not a quarantine envelope")
    if len(raw) < HEADER_BYTES:
        raise Truncated("the object ends inside its header")
    magic, version, chunk_size, prefix = _FIXED.unpack_from(raw)
    if version != VERSION:
        raise Tampered(f"unknown envelope version {version}")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise Tampered(f"implausible chunk size {chunk_size}")
    rest = raw[_FIXED.size:]
    return Header(chunk_size, prefix, rest[:KEY_ID_BYTES], rest[KEY_ID_BYTES:])


def _nonce(header: Header, index: int, final: bool) -> bytes:
    if index >= _MAX_CHUNKS:
        raise EnvelopeError("the object is too large for one envelope")
    return header.nonce_prefix + struct.pack(">IB", index, 1 if final else 0)


def _sealed_pieces(plain: BinaryIO, key: bytes, context: bytes, chunk_size: int) -> Iterator[bytes]:
    data_key = AESGCM.generate_key(bit_length=256)
    fixed = _FIXED.pack(MAGIC, VERSION, chunk_size, os.urandom(NONCE_PREFIX_BYTES))
    kid, wrapped = _wrap(fixed, key, data_key, context)
    header = Header(chunk_size, fixed[-NONCE_PREFIX_BYTES:], kid, wrapped)
    yield header.to_bytes()
    aes = AESGCM(data_key)
    current, index = _read_exact(plain, chunk_size), 0
    while True:
        # Look one chunk ahead: only the last chunk carries the final flag, even when empty.
        following = _read_exact(plain, chunk_size) if len(current) == chunk_size else b""
        final = not following
        yield aes.encrypt(_nonce(header, index, final), current, fixed)
        if final:
            return
        current, index = following, index + 1


class _PieceReader(io.RawIOBase):
    """A read-only stream over an iterator of byte strings."""

    def __init__(self, pieces: Iterator[bytes]):
        self._pieces = pieces
        self._buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = memoryview(next(self._pieces))
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def sealing_reader(plain: BinaryIO, key: bytes, context: bytes,
                   chunk_size: int = DEFAULT_CHUNK_SIZE) -> io.BufferedReader:
    """A stream of the envelope of plain, sealed as it is read; context names the item (e.g. its key)."""
    _check_key(key)
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between 1 and {MAX_CHUNK_SIZE}")
    return io.BufferedReader(_PieceReader(_sealed_pieces(plain, key, context, chunk_size)), 1024 * 1024)


def prefixed_reader(head: bytes, rest: BinaryIO) -> io.BufferedReader:
    """A stream of head followed by the rest of another stream (a new header on an old body)."""

    def pieces() -> Iterator[bytes]:
        yield head
        while chunk := rest.read(1024 * 1024):
            yield chunk

    return io.BufferedReader(_PieceReader(pieces()), 1024 * 1024)


def open_stream(sealed: BinaryIO, out: BinaryIO, keyring: Keyring, context: bytes) -> int:
    """Write the plaintext of an envelope to out; the byte count. Raises WrongKey, Tampered or Truncated.

    out may hold a prefix of the plaintext when this raises: write to a scratch place and keep it
    only on success.
    """
    written = 0
    for plain in iter_plaintext(sealed, keyring, context):
        out.write(plain)
        written += len(plain)
    return written


def iter_plaintext(sealed: BinaryIO, keyring: Keyring, context: bytes, *,
                   start: int = 0, length: int | None = None) -> Iterator[bytes]:
    """The plaintext of an envelope, one verified chunk at a time (at most chunk size bytes each).

    Each piece is yielded only after its tag was checked; a stream cut short or altered raises
    WrongKey, Tampered or Truncated at the chunk where it happens, so a consumer must treat
    everything already received as void when iteration raises (a web response then ends early,
    short of its Content-Length). start and length pick a byte range; the chunks before start are
    skipped unread where sealed can seek. Holds about two chunks in memory whatever the object's size.
    """
    if start < 0 or (length is not None and length < 0):
        raise ValueError("start and length cannot be negative")
    header = read_header(sealed)
    aes = AESGCM(_unwrap(header, keyring, context))
    block = header.chunk_size + TAG_BYTES
    index, skip = divmod(start, header.chunk_size)
    _skip_to(sealed, HEADER_BYTES + index * block, index * block)
    remaining = length
    current = _read_exact(sealed, block)
    if not current:
        if index:
            raise Truncated(f"the object ends before chunk {index}, or the range starts past its end")
        raise Truncated("the object ends after its header")
    while remaining is None or remaining > 0:
        # Look one chunk ahead: only the chunk with nothing after it may carry the final flag.
        following = _read_exact(sealed, block)
        final = not following
        try:
            plain = aes.decrypt(_nonce(header, index, final), current, header.fixed)
        except InvalidTag:
            raise _why_not(aes, header, index, final, current) from None
        if skip:
            plain, skip = plain[skip:], 0
        if remaining is not None:
            plain = plain[:remaining]
            remaining -= len(plain)
        if plain:
            yield plain
        if final:
            return
        current, index = following, index + 1


def _skip_to(sealed: BinaryIO, position: int, count: int) -> None:
    """Move past count bytes of chunks (to position from the start): seek, or read and drop."""
    if not count:
        return
    try:
        if sealed.seekable():
            sealed.seek(position)
            return
    except (AttributeError, OSError):
        pass
    while count:
        dropped = sealed.read(min(count, 1024 * 1024))
        if not dropped:
            return
        count -= len(dropped)


def _why_not(aes: AESGCM, header: Header, index: int, final: bool, chunk: bytes) -> EnvelopeError:
    # A last chunk that only opens as a middle chunk means the stream was cut at a chunk boundary.
    if final:
        try:
            aes.decrypt(_nonce(header, index, False), chunk, header.fixed)
            return Truncated(f"the object ends after chunk {index}: its end marker is missing")
        except InvalidTag:
            pass
    return Tampered(f"chunk {index} of the object was altered or cut short")


def rewrapped_header(header: Header, keyring: Keyring, new_key: bytes, context: bytes) -> Header:
    """The same header with its data key wrapped under new_key instead; raises WrongKey or Tampered."""
    data_key = _unwrap(header, keyring, context)
    kid, wrapped = _wrap(header.fixed, _check_key(new_key), data_key, context)
    return Header(header.chunk_size, header.nonce_prefix, kid, wrapped)


def seal_bytes(plain: bytes, key: bytes, context: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE) -> bytes:
    """The envelope of a small byte string (tests and small objects)."""
    return sealing_reader(io.BytesIO(plain), key, context, chunk_size).read()


def open_bytes(sealed: bytes, keyring: Keyring, context: bytes) -> bytes:
    """The plaintext of a small envelope; raises WrongKey, Tampered or Truncated."""
    out = io.BytesIO()
    open_stream(io.BytesIO(sealed), out, keyring, context)
    return out.getvalue()
