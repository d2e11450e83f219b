"""The chunk store of resumable uploads: sealed at rest, bound to its upload and index, resumable, limited,
cleaned up."""
from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from gatekeeper.storage.chunks import (
    ChunkConflict,
    ChunkRefused,
    ChunkStore,
    Incomplete,
    PartDamaged,
    TooLarge,
    TooManyUploads,
    UnknownUpload,
    UploadOwner,
)
from gatekeeper.storage.envelope import Keyring

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SAM = UploadOwner(account_id=1, device_id=7, setting_id=1)
KIM = UploadOwner(account_id=2, device_id=7, setting_id=1)
SAM_ON_ANOTHER_TABLET = UploadOwner(account_id=1, device_id=8, setting_id=1)
# A pattern that cannot appear by chance in ciphertext or metadata.
SENTINEL = b"PLAINTEXT-SENTINEL-7f3a9c"


def plaintext(size: int) -> bytes:
    return (SENTINEL * (size // len(SENTINEL) + 1))[:size]


@pytest.fixture
def store(tmp_path) -> ChunkStore:
    return ChunkStore(tmp_path / "uploads", Keyring(KEY), chunk_bytes=100, max_bytes=1000, max_open=3)


def send_all(store: ChunkStore, owner: UploadOwner, data: bytes) -> str:
    info = store.start(owner, name="clip.mp4", size=len(data), mime="video/mp4")
    for index in range(info.chunk_count):
        offset, length = info.span(index)
        store.put(info.upload_id, owner, index, offset, data[offset:offset + length])
    return info.upload_id


def every_file(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_stored_chunks_never_contain_the_plaintext_and_are_private(store, tmp_path):
    data = plaintext(250)
    upload_id = send_all(store, SAM, data)
    files = every_file(tmp_path / "uploads")
    assert len(files) == 4  # meta and three parts
    for path in files:
        raw = path.read_bytes()
        assert SENTINEL[:12] not in raw and b"clip.mp4" not in raw
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "uploads" / upload_id).stat().st_mode) == 0o700


def test_the_parts_open_in_order_into_the_whole_file_and_the_upload_is_then_gone(store, tmp_path):
    data = plaintext(250)
    upload_id = send_all(store, SAM, data)
    work = tmp_path / "work"
    work.mkdir()
    with store.assembled(upload_id, SAM, work) as (info, path):
        assert path.read_bytes() == data and info.name == "clip.mp4"
    assert list(work.iterdir()) == []
    with pytest.raises(UnknownUpload):
        store.info(upload_id, SAM)


def test_the_resume_list_names_the_chunks_already_stored(store):
    info = store.start(SAM, name="a.jpg", size=250, mime="image/jpeg")
    assert store.received(info.upload_id, SAM) == []
    store.put(info.upload_id, SAM, 2, 200, plaintext(50))
    store.put(info.upload_id, SAM, 0, 0, plaintext(100))
    assert store.received(info.upload_id, SAM) == [0, 2]


def test_finishing_with_bytes_missing_is_refused_and_keeps_what_arrived(store, tmp_path):
    info = store.start(SAM, name="a.jpg", size=250, mime="image/jpeg")
    store.put(info.upload_id, SAM, 0, 0, plaintext(100))
    with pytest.raises(Incomplete):
        with store.assembled(info.upload_id, SAM, tmp_path):
            pass
    assert store.received(info.upload_id, SAM) == [0]


def test_sending_the_same_chunk_again_is_fine_and_different_bytes_are_refused(store):
    info = store.start(SAM, name="a.jpg", size=250, mime="image/jpeg")
    assert store.put(info.upload_id, SAM, 0, 0, plaintext(100)) is True
    assert store.put(info.upload_id, SAM, 0, 0, plaintext(100)) is False
    with pytest.raises(ChunkConflict):
        store.put(info.upload_id, SAM, 0, 0, b"x" * 100)
    assert store.received(info.upload_id, SAM) == [0]


@pytest.mark.parametrize("index, offset, size, why", [
    (3, 300, 10, "outside this file"),
    (-1, 0, 100, "outside this file"),
    (1, 0, 100, "starts at byte 100"),
    (0, 0, 99, "must be 100 bytes"),
    (2, 200, 100, "must be 50 bytes"),
])
def test_a_chunk_out_of_range_or_of_the_wrong_length_is_refused_and_nothing_changes(store, index, offset, size, why):
    info = store.start(SAM, name="a.jpg", size=250, mime="image/jpeg")
    with pytest.raises(ChunkRefused, match=why):
        store.put(info.upload_id, SAM, index, offset, b"x" * size)
    assert store.received(info.upload_id, SAM) == []


def test_another_account_or_tablet_cannot_see_send_finish_or_cancel_an_upload(store, tmp_path):
    upload_id = send_all(store, SAM, plaintext(250))
    for stranger in (KIM, SAM_ON_ANOTHER_TABLET):
        with pytest.raises(UnknownUpload):
            store.received(upload_id, stranger)
        with pytest.raises(UnknownUpload):
            store.put(upload_id, stranger, 0, 0, plaintext(100))
        with pytest.raises(UnknownUpload):
            with store.assembled(upload_id, stranger, tmp_path):
                pass
        with pytest.raises(UnknownUpload):
            store.discard(upload_id, stranger)
    assert store.received(upload_id, SAM) == [0, 1, 2]


@pytest.mark.parametrize("upload_id", ["../etc", "0" * 31, "A" * 32, "", "0" * 32])
def test_a_made_up_or_malformed_upload_id_is_unknown(store, upload_id):
    with pytest.raises(UnknownUpload):
        store.received(upload_id, SAM)


def test_parts_swapped_within_an_upload_do_not_open(store, tmp_path):
    data = plaintext(100) + bytes(100) + plaintext(50)
    upload_id = send_all(store, SAM, data)
    folder = tmp_path / "uploads" / upload_id
    first, second = (folder / "0.part").read_bytes(), (folder / "1.part").read_bytes()
    (folder / "0.part").write_bytes(second)
    (folder / "1.part").write_bytes(first)
    with pytest.raises(PartDamaged) as refused:
        with store.assembled(upload_id, SAM, tmp_path):
            pass
    assert refused.value.index == 0
    assert store.received(upload_id, SAM) == [1, 2], "the damaged part is removed so it can be sent again"


def test_a_part_replayed_into_another_upload_does_not_open(store, tmp_path):
    one = send_all(store, SAM, plaintext(250))
    two = send_all(store, SAM, bytes(250))
    shutil.copy(tmp_path / "uploads" / one / "1.part", tmp_path / "uploads" / two / "1.part")
    with pytest.raises(PartDamaged):
        with store.assembled(two, SAM, tmp_path):
            pass


def test_an_altered_part_does_not_open_and_a_resent_chunk_replaces_it(store, tmp_path):
    data = plaintext(250)
    upload_id = send_all(store, SAM, data)
    part = tmp_path / "uploads" / upload_id / "2.part"
    raw = bytearray(part.read_bytes())
    raw[-1] ^= 1
    part.write_bytes(bytes(raw))
    assert store.put(upload_id, SAM, 2, 200, data[200:]) is True, "a damaged stored part never blocks a resend"
    with store.assembled(upload_id, SAM, tmp_path) as (_, path):
        assert path.read_bytes() == data


def test_an_altered_or_moved_meta_makes_the_upload_unknown(store, tmp_path):
    one = send_all(store, SAM, plaintext(250))
    two = store.start(SAM, name="b.jpg", size=10, mime="image/jpeg").upload_id
    shutil.copy(tmp_path / "uploads" / one / "meta", tmp_path / "uploads" / two / "meta")
    with pytest.raises(UnknownUpload):
        store.received(two, SAM)


def test_parts_sealed_under_an_older_key_still_open_after_a_key_rotation_starts(tmp_path):
    before = ChunkStore(tmp_path, Keyring(KEY), chunk_bytes=100, max_bytes=1000)
    upload_id = send_all(before, SAM, plaintext(150))
    during = ChunkStore(tmp_path, Keyring(OTHER_KEY, older=(KEY,)), chunk_bytes=100, max_bytes=1000)
    with during.assembled(upload_id, SAM, tmp_path) as (_, path):
        assert path.read_bytes() == plaintext(150)


def test_without_the_key_nothing_opens(tmp_path):
    upload_id = send_all(ChunkStore(tmp_path, Keyring(KEY), chunk_bytes=100, max_bytes=1000), SAM, plaintext(150))
    with pytest.raises(UnknownUpload):
        ChunkStore(tmp_path, Keyring(OTHER_KEY), chunk_bytes=100, max_bytes=1000).received(upload_id, SAM)


def test_a_file_over_the_limit_or_empty_is_refused_before_any_byte(store, tmp_path):
    with pytest.raises(TooLarge):
        store.start(SAM, name="big.mp4", size=1001, mime="video/mp4")
    with pytest.raises(ChunkRefused):
        store.start(SAM, name="empty.jpg", size=0, mime="image/jpeg")
    assert not (tmp_path / "uploads").exists() or every_file(tmp_path / "uploads") == []


def test_an_account_has_a_limited_number_of_unfinished_uploads(store):
    for _ in range(3):
        store.start(SAM, name="a.jpg", size=10, mime="image/jpeg")
    with pytest.raises(TooManyUploads):
        store.start(SAM, name="a.jpg", size=10, mime="image/jpeg")
    store.start(KIM, name="a.jpg", size=10, mime="image/jpeg")


def test_cancelling_removes_every_part(store, tmp_path):
    upload_id = send_all(store, SAM, plaintext(250))
    store.discard(upload_id, SAM)
    assert every_file(tmp_path / "uploads") == []
    with pytest.raises(UnknownUpload):
        store.put(upload_id, SAM, 0, 0, plaintext(100))


def test_a_block_that_fails_for_good_removes_the_upload_and_any_other_failure_keeps_it(store, tmp_path):
    upload_id = send_all(store, SAM, plaintext(250))
    with pytest.raises(OSError):
        with store.assembled(upload_id, SAM, tmp_path, final_errors=(ValueError,)):
            raise OSError("storage down")
    assert store.received(upload_id, SAM) == [0, 1, 2], "kept for another try"
    assert not (tmp_path / "upload").exists(), "the plaintext is removed either way"
    with pytest.raises(ValueError):
        with store.assembled(upload_id, SAM, tmp_path, final_errors=(ValueError,)):
            raise ValueError("refused")
    with pytest.raises(UnknownUpload):
        store.received(upload_id, SAM)


def test_a_second_finish_while_one_runs_is_refused(store, tmp_path):
    upload_id = send_all(store, SAM, plaintext(250))
    with store.assembled(upload_id, SAM, tmp_path):
        (tmp_path / "second").mkdir()
        with pytest.raises((Incomplete, UnknownUpload)):
            with store.assembled(upload_id, SAM, tmp_path / "second"):
                pass


def test_abandoned_uploads_are_removed_after_their_age_and_live_ones_stay(store, tmp_path):
    old = send_all(store, SAM, plaintext(250))
    live = send_all(store, KIM, plaintext(250))
    long_ago = time.time() - 7200
    for path in (tmp_path / "uploads" / old, *(tmp_path / "uploads" / old).iterdir()):
        os.utime(path, (long_ago, long_ago))
    assert store.remove_abandoned(3600) == [old]
    assert store.received(live, KIM) == [0, 1, 2]
    assert not (tmp_path / "uploads" / old).exists()


def test_sending_a_chunk_keeps_an_old_upload_alive(store, tmp_path):
    info = store.start(SAM, name="a.jpg", size=250, mime="image/jpeg")
    long_ago = time.time() - 7200
    os.utime(tmp_path / "uploads" / info.upload_id, (long_ago, long_ago))
    os.utime(tmp_path / "uploads" / info.upload_id / "meta", (long_ago, long_ago))
    store.put(info.upload_id, SAM, 0, 0, plaintext(100))
    assert store.remove_abandoned(3600) == []
