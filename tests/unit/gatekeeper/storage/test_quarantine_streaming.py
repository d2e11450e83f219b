"""Streaming a sealed object: verified pieces of at most one chunk, read as they are needed, and a cut
or altered object raises before the stream can end cleanly."""
from __future__ import annotations

import io
import os

import pytest

from gatekeeper.storage.base import ItemNotFound
from gatekeeper.storage.envelope import (
    HEADER_BYTES,
    TAG_BYTES,
    Keyring,
    Tampered,
    Truncated,
    WrongKey,
    iter_plaintext,
    seal_bytes,
)
from gatekeeper.storage.local import LocalQuarantine

KEY = bytes(range(32))
CTX = b"quarantine-item:item-1"
CHUNK = 64
BLOCK = CHUNK + TAG_BYTES
PLAIN = os.urandom(20 * CHUNK + 17)


class CountingReader(io.RawIOBase):
    """A sealed stream that records how far it has been read, and refuses to seek when asked to."""

    def __init__(self, data: bytes, seekable: bool = True):
        self._data = io.BytesIO(data)
        self._seekable = seekable
        self.high_water = 0

    def readable(self):
        return True

    def seekable(self):
        return self._seekable

    def seek(self, *args):
        if not self._seekable:
            raise OSError("not seekable")
        return self._data.seek(*args)

    def readinto(self, target):
        n = self._data.readinto(target)
        self.high_water = max(self.high_water, self._data.tell())
        return n


def sealed(plain: bytes = PLAIN) -> bytes:
    return seal_bytes(plain, KEY, CTX, chunk_size=CHUNK)


def test_pieces_are_at_most_one_chunk_and_read_at_most_two_chunks_ahead():
    reader = CountingReader(sealed())
    received = []

    for piece in iter_plaintext(reader, Keyring(KEY), CTX):
        assert len(piece) <= CHUNK
        received.append(piece)
        # Never the whole object: only this chunk and the one after it (to know whether this was the last).
        assert reader.high_water <= HEADER_BYTES + (len(received) + 1) * BLOCK

    assert b"".join(received) == PLAIN


def test_a_chunk_altered_in_the_middle_raises_after_the_pieces_before_it_and_yields_nothing_of_it():
    data = bytearray(sealed())
    data[HEADER_BYTES + 7 * BLOCK + 5] ^= 1
    received = []

    with pytest.raises(Tampered, match="chunk 7"):
        for piece in iter_plaintext(io.BytesIO(bytes(data)), Keyring(KEY), CTX):
            received.append(piece)

    assert b"".join(received) == PLAIN[: 7 * CHUNK]


def test_an_object_cut_at_a_chunk_boundary_raises_truncated_instead_of_ending():
    data = sealed()[: HEADER_BYTES + 10 * BLOCK]

    with pytest.raises(Truncated):
        for _ in iter_plaintext(io.BytesIO(data), Keyring(KEY), CTX):
            pass


def test_an_object_cut_inside_a_chunk_raises():
    data = sealed()[: HEADER_BYTES + 10 * BLOCK + 9]

    with pytest.raises(Tampered):
        list(iter_plaintext(io.BytesIO(data), Keyring(KEY), CTX))


def test_an_object_sealed_under_another_key_raises_before_any_piece():
    with pytest.raises(WrongKey):
        next(iter_plaintext(io.BytesIO(sealed()), Keyring(bytes(32)), CTX))


@pytest.mark.parametrize("seekable", [True, False])
@pytest.mark.parametrize("start, length", [
    (0, None), (0, 1), (1, CHUNK), (CHUNK - 1, 2), (CHUNK, CHUNK), (5 * CHUNK + 3, 3 * CHUNK + 1),
    (len(PLAIN) - 1, None), (len(PLAIN) - 20, 100), (3, 0),
])
def test_a_byte_range_gives_exactly_those_bytes(seekable, start, length):
    reader = CountingReader(sealed(), seekable=seekable)

    got = b"".join(iter_plaintext(reader, Keyring(KEY), CTX, start=start, length=length))

    assert got == PLAIN[start: None if length is None else start + length]


def test_a_range_late_in_the_object_skips_the_chunks_before_it_unread():
    reader = CountingReader(sealed())
    pieces = iter_plaintext(reader, Keyring(KEY), CTX, start=15 * CHUNK, length=CHUNK)

    assert next(pieces) == PLAIN[15 * CHUNK: 16 * CHUNK]
    # Nothing before chunk 15 was decrypted: tampering there would go unnoticed, and that is fine,
    # because nothing from there was handed out (each chunk's nonce carries its index).


def test_a_range_in_a_cut_object_still_raises_at_the_cut():
    data = sealed()[: HEADER_BYTES + 10 * BLOCK]
    with pytest.raises(Truncated):
        list(iter_plaintext(io.BytesIO(data), Keyring(KEY), CTX, start=9 * CHUNK))


def test_a_negative_range_is_refused():
    with pytest.raises(ValueError):
        next(iter_plaintext(io.BytesIO(sealed()), Keyring(KEY), CTX, start=-1))


# --- the store ----------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    store = LocalQuarantine(tmp_path / "quarantine", Keyring(KEY), chunk_size=CHUNK)
    source = tmp_path / "clip.mp4"
    source.write_bytes(PLAIN)
    store.put("item-1", source)
    return store


@pytest.fixture
def opened(store, monkeypatch):
    """The file handles the store opens, to see that each is closed."""
    handles = []
    real_open = store._open

    from contextlib import contextmanager

    @contextmanager
    def spying(item_key):
        with real_open(item_key) as handle:
            handles.append(handle)
            yield handle

    monkeypatch.setattr(store, "_open", spying)
    return handles


def test_the_store_streams_an_item_and_closes_its_file(store, opened):
    chunks = store.open_chunks("item-1")

    assert b"".join(chunks) == PLAIN
    assert [h.closed for h in opened] == [True]


def test_closing_a_stream_that_was_never_read_releases_the_file(store, opened):
    chunks = store.open_chunks("item-1", start=CHUNK)
    assert [h.closed for h in opened] == [False]

    chunks.close()

    assert [h.closed for h in opened] == [True]
    assert list(chunks) == []


def test_a_stream_that_fails_part_way_releases_the_file(store, opened):
    path = store._path("item-1")
    data = bytearray(path.read_bytes())
    data[HEADER_BYTES + 4 * BLOCK + 1] ^= 1
    path.write_bytes(bytes(data))

    with pytest.raises(Tampered):
        list(store.open_chunks("item-1"))

    assert [h.closed for h in opened] == [True]


def test_a_missing_item_raises_before_any_stream_is_returned(store):
    with pytest.raises(ItemNotFound):
        store.open_chunks("item-2")


def test_a_store_object_altered_in_its_header_raises_before_any_stream_is_returned(store):
    path = store._path("item-1")
    data = bytearray(path.read_bytes())
    data[HEADER_BYTES - 3] ^= 1
    path.write_bytes(bytes(data))

    with pytest.raises(Tampered):
        store.open_chunks("item-1")
