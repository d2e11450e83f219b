"""Envelope encryption: what goes in comes out, and anything altered, cut or foreign raises a named error."""
from __future__ import annotations

import io
import os

import pytest

from gatekeeper.storage import envelope
from gatekeeper.storage.envelope import (
    HEADER_BYTES,
    TAG_BYTES,
    EnvelopeError,
    Keyring,
    Tampered,
    Truncated,
    WrongKey,
    open_bytes,
    read_header,
    rewrapped_header,
    seal_bytes,
)

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
CTX = b"quarantine-item:item-1"
CHUNK = 64


def sealed(plain: bytes, key: bytes = KEY, context: bytes = CTX) -> bytes:
    return seal_bytes(plain, key, context, chunk_size=CHUNK)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 17])
def test_plaintext_of_any_length_round_trips(size):
    plain = os.urandom(size)
    assert open_bytes(sealed(plain), Keyring(KEY), CTX) == plain


def test_a_large_stream_round_trips_with_the_default_chunk_size():
    plain = os.urandom(3 * envelope.DEFAULT_CHUNK_SIZE + 5)
    out = io.BytesIO()
    reader = envelope.sealing_reader(io.BytesIO(plain), KEY, CTX)
    written = envelope.open_stream(reader, out, Keyring(KEY), CTX)
    assert written == len(plain) and out.getvalue() == plain


def test_the_envelope_shows_none_of_the_plaintext_and_differs_every_time():
    plain = b"FACE-OF-A-CHILD " * 100 + b"!"  # 25 full chunks and a short final one
    first, second = sealed(plain), sealed(plain)
    assert b"FACE-OF-A-CHILD" not in first
    assert first != second
    assert len(first) == HEADER_BYTES + len(plain) + TAG_BYTES * (len(plain) // CHUNK + 1)


def test_a_network_stream_that_returns_short_reads_still_opens():
    class Trickle(io.RawIOBase):
        def __init__(self, data):
            self.data = data

        def readable(self):
            return True

        def readinto(self, target):
            size = min(7, len(target))
            piece, self.data = self.data[:size], self.data[size:]
            target[: len(piece)] = piece
            return len(piece)

    plain = os.urandom(4 * CHUNK + 3)
    out = io.BytesIO()
    envelope.open_stream(Trickle(sealed(plain)), out, Keyring(KEY), CTX)
    assert out.getvalue() == plain


def test_an_object_sealed_under_another_instance_key_is_a_wrong_key_error():
    with pytest.raises(WrongKey, match="does not hold"):
        open_bytes(sealed(b"photo", key=OTHER), Keyring(KEY), CTX)


def test_an_older_key_in_the_keyring_still_opens_what_it_sealed():
    assert open_bytes(sealed(b"photo", key=OTHER), Keyring(KEY, older=(OTHER,)), CTX) == b"photo"


def test_an_object_presented_as_another_item_is_refused():
    with pytest.raises(Tampered, match="another item"):
        open_bytes(sealed(b"photo"), Keyring(KEY), b"quarantine-item:item-2")


@pytest.mark.parametrize("where", [HEADER_BYTES - 1, HEADER_BYTES + 3, -1])
def test_a_flipped_byte_in_the_wrapped_key_or_any_chunk_is_tampering(where):
    data = bytearray(sealed(os.urandom(3 * CHUNK)))
    data[where] ^= 0x01
    with pytest.raises(Tampered):
        open_bytes(bytes(data), Keyring(KEY), CTX)


def test_a_changed_chunk_size_in_the_header_is_tampering():
    data = bytearray(sealed(os.urandom(3 * CHUNK)))
    data[8] ^= 0x01  # inside the chunk size field
    with pytest.raises(Tampered):
        open_bytes(bytes(data), Keyring(KEY), CTX)


def test_bytes_that_are_not_an_envelope_are_refused_by_name():
    with pytest.raises(Tampered, match="not a quarantine envelope"):
        open_bytes(b"\xff\xd8\xff\xe0 a plain jpeg" + bytes(200), Keyring(KEY), CTX)


def test_an_unknown_version_is_refused():
    data = bytearray(sealed(b"photo"))
    data[4] = 99
    with pytest.raises(Tampered, match="unknown envelope version"):
        open_bytes(bytes(data), Keyring(KEY), CTX)


def test_swapped_chunks_are_tampering():
    data = sealed(os.urandom(3 * CHUNK + 1))
    block = CHUNK + TAG_BYTES
    body = data[HEADER_BYTES:]
    swapped = data[:HEADER_BYTES] + body[block : 2 * block] + body[:block] + body[2 * block :]
    with pytest.raises(Tampered):
        open_bytes(swapped, Keyring(KEY), CTX)


def test_cutting_the_stream_at_a_chunk_boundary_is_truncation():
    data = sealed(os.urandom(3 * CHUNK + 1))
    cut = data[: HEADER_BYTES + 2 * (CHUNK + TAG_BYTES)]
    with pytest.raises(Truncated, match="end marker is missing"):
        open_bytes(cut, Keyring(KEY), CTX)


def test_cutting_the_stream_inside_a_chunk_fails_without_returning_anything():
    data = sealed(os.urandom(3 * CHUNK + 1))
    with pytest.raises(EnvelopeError):
        open_bytes(data[:-5], Keyring(KEY), CTX)


@pytest.mark.parametrize("keep", [0, 3, HEADER_BYTES - 1])
def test_a_stream_cut_inside_its_header_is_truncation(keep):
    with pytest.raises(Truncated, match="header"):
        open_bytes(sealed(b"photo")[:keep], Keyring(KEY), CTX)


def test_a_stream_with_no_chunk_at_all_is_truncation():
    with pytest.raises(Truncated, match="after its header"):
        open_bytes(sealed(b"photo")[:HEADER_BYTES], Keyring(KEY), CTX)


def test_bytes_appended_after_the_end_marker_are_tampering():
    with pytest.raises(Tampered):
        open_bytes(sealed(os.urandom(CHUNK)) + os.urandom(CHUNK + TAG_BYTES), Keyring(KEY), CTX)


def test_rewrapping_changes_only_the_key_part_of_the_header():
    original = sealed(os.urandom(2 * CHUNK))
    header = read_header(io.BytesIO(original))
    fresh = rewrapped_header(header, Keyring(KEY), OTHER, CTX)
    moved = fresh.to_bytes() + original[HEADER_BYTES:]

    assert fresh.fixed == header.fixed
    assert open_bytes(moved, Keyring(OTHER), CTX) == open_bytes(original, Keyring(KEY), CTX)
    with pytest.raises(WrongKey):
        open_bytes(moved, Keyring(KEY), CTX)


def test_rewrapping_needs_the_key_the_object_is_under():
    header = read_header(io.BytesIO(sealed(b"photo", key=OTHER)))
    with pytest.raises(WrongKey):
        rewrapped_header(header, Keyring(KEY), bytes(32), CTX)


@pytest.mark.parametrize("bad", [b"short", bytes(33), "a" * 32, None])
def test_a_key_that_is_not_32_bytes_is_refused(bad):
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring(bad)
    with pytest.raises(ValueError, match="32 bytes"):
        seal_bytes(b"photo", bad, CTX)


@pytest.mark.parametrize("size", [0, envelope.MAX_CHUNK_SIZE + 1])
def test_an_unusable_chunk_size_is_refused(size):
    with pytest.raises(ValueError, match="chunk size"):
        seal_bytes(b"photo", KEY, CTX, chunk_size=size)


def test_key_ids_are_stable_and_tell_keys_apart():
    assert envelope.key_id(KEY) == envelope.key_id(bytes(KEY))
    assert envelope.key_id(KEY) != envelope.key_id(OTHER)
    assert KEY not in envelope.key_id(KEY)
