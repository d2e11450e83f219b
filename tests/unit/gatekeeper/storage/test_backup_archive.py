"""Backup archives: what goes in comes out, streamed; a wrong passphrase or a changed byte yields nothing."""
from __future__ import annotations

import io
import os

import pytest

from gatekeeper.storage.archive import (
    CHUNK_SIZE,
    ArchiveDamaged,
    ArchiveError,
    ArchiveWriter,
    WrongPassphrase,
    read_entries,
    verify,
)

PASSPHRASE = "correct horse battery staple"
CHEAP = (10, 8, 1)  # scrypt cost for tests; real archives use DEFAULT_COST


def archive_of(entries: list[tuple[str, str, bytes]], passphrase: str = PASSPHRASE) -> bytes:
    out = io.BytesIO()
    writer = ArchiveWriter(out, passphrase, cost=CHEAP)
    for kind, name, data in entries:
        writer.add(kind, name, io.BytesIO(data))
    writer.close()
    return out.getvalue()


def read_all(data: bytes, passphrase: str = PASSPHRASE) -> list[tuple[str, str, bytes]]:
    return [(e.kind, e.name, b"".join(e.pieces())) for e in read_entries(io.BytesIO(data), passphrase)]


BIG = os.urandom(2 * CHUNK_SIZE + 12345)
ENTRIES = [("manifest", "manifest.json", b'{"format": 1}'), ("quarantine", "item-1", BIG),
           ("file", "empty", b""), ("channel", "website/a.jpg", b"\xff\xd8 jpeg")]


def test_every_entry_comes_back_byte_for_byte_in_order():
    assert read_all(archive_of(ENTRIES)) == ENTRIES


def test_entries_left_unread_are_skipped_and_the_next_one_still_reads():
    names = [entry.name for entry in read_entries(io.BytesIO(archive_of(ENTRIES)), PASSPHRASE)]
    assert names == ["manifest.json", "item-1", "empty", "website/a.jpg"]


def test_verify_counts_the_entries_by_kind():
    assert verify(io.BytesIO(archive_of(ENTRIES)), PASSPHRASE) == {"manifest": 1, "quarantine": 1, "file": 1,
                                                                    "channel": 1}


def test_the_writer_streams_sealed_chunks_before_the_archive_is_closed():
    out = io.BytesIO()
    writer = ArchiveWriter(out, PASSPHRASE, cost=CHEAP)
    writer.add("quarantine", "big", io.BytesIO(BIG))
    assert out.tell() >= 2 * CHUNK_SIZE, "whole chunks are written out as they fill, not held until close"
    assert BIG[:4096] not in out.getvalue()


def test_nothing_readable_is_left_in_the_archive():
    data = archive_of([("file", "secrets.json", b"the-data-key-is-here")])
    assert b"the-data-key-is-here" not in data and b"secrets.json" not in data


def test_a_wrong_passphrase_is_named_as_such():
    with pytest.raises(WrongPassphrase):
        read_all(archive_of(ENTRIES), "not the passphrase at all")


@pytest.mark.parametrize("offset", [200, CHUNK_SIZE + 500, -40])
def test_a_changed_byte_anywhere_in_the_body_is_found(offset):
    data = bytearray(archive_of(ENTRIES))
    data[offset] ^= 0x01
    with pytest.raises(ArchiveDamaged):
        read_all(bytes(data))


def test_a_changed_header_does_not_open():
    data = bytearray(archive_of(ENTRIES))
    data[20] ^= 0x01  # in the salt
    with pytest.raises(WrongPassphrase):
        read_all(bytes(data))


@pytest.mark.parametrize("cut", [10, 100, CHUNK_SIZE + 100, -1])
def test_an_archive_cut_short_is_found(cut):
    data = archive_of(ENTRIES)
    with pytest.raises(ArchiveDamaged):
        read_all(data[:cut])


def test_an_archive_cut_at_a_chunk_boundary_is_found():
    data = archive_of(ENTRIES)
    header = 8 + 4 + 16 + 7 + 32
    first_chunk = header + 4 + CHUNK_SIZE + 16
    with pytest.raises(ArchiveDamaged, match="cut short"):
        read_all(data[:first_chunk])


def test_bytes_appended_after_the_end_are_found():
    with pytest.raises(ArchiveDamaged):
        read_all(archive_of(ENTRIES) + b"extra")


def test_a_file_that_is_no_archive_is_refused():
    with pytest.raises(ArchiveDamaged, match="not a gatekeeper backup"):
        read_all(b"PK\x03\x04 a zip file, say")


def test_a_forged_header_cannot_ask_for_a_huge_key_derivation():
    data = bytearray(archive_of(ENTRIES))
    data[9] = 30  # log2 n
    with pytest.raises(ArchiveDamaged, match="cost out of range"):
        read_all(bytes(data))


def test_a_short_passphrase_is_refused_before_anything_is_written():
    out = io.BytesIO()
    with pytest.raises(ArchiveError, match="at least 12"):
        ArchiveWriter(out, "short", cost=CHEAP)
    assert out.getvalue() == b""

