"""The local quarantine folder: sealed files, private permissions, atomic writes, clear refusals."""
from __future__ import annotations

import os
import stat

import pytest

from gatekeeper.storage.base import (
    ItemNotFound,
    QuarantineMisconfigured,
    QuarantineRefused,
    QuarantineUnavailable,
)
from gatekeeper.storage.envelope import Keyring, Tampered, Truncated, WrongKey
from gatekeeper.storage.local import LocalQuarantine

KEY = bytes(range(32))
PLAIN = b"\xff\xd8" + b"FACE-OF-A-CHILD " * 500 + b"\xff\xd9"


@pytest.fixture
def store(tmp_path):
    return LocalQuarantine(tmp_path / "quarantine", Keyring(KEY), chunk_size=256)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "clean.jpg"
    path.write_bytes(PLAIN)
    return path


def mode_of(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_an_item_round_trips_through_a_private_sealed_file(store, photo, tmp_path):
    store.put("item-1", photo)

    stored = store.folder / "item-1.sealed"
    assert b"FACE-OF-A-CHILD" not in stored.read_bytes()
    assert mode_of(stored) == 0o600
    assert mode_of(store.folder) == 0o700
    assert store.open_bytes("item-1") == PLAIN
    store.fetch_to("item-1", tmp_path / "back.jpg")
    assert (tmp_path / "back.jpg").read_bytes() == PLAIN
    assert mode_of(tmp_path / "back.jpg") == 0o600


def test_putting_again_replaces_the_item(store, photo, tmp_path):
    store.put("item-1", photo)
    other = tmp_path / "other.jpg"
    other.write_bytes(b"redacted version")
    store.put("item-1", other)
    assert store.open_bytes("item-1") == b"redacted version"
    assert list(store.keys()) == ["item-1"]


def test_a_write_that_fails_half_way_leaves_the_old_item_and_no_scraps(store, photo, monkeypatch):
    store.put("item-1", photo)
    before = (store.folder / "item-1.sealed").read_bytes()

    def broken_copy(src, dst, length=0):
        dst.write(src.read(100))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gatekeeper.storage.local.shutil.copyfileobj", broken_copy)
    with pytest.raises(QuarantineUnavailable, match="No space left"):
        store.put("item-1", photo)

    assert (store.folder / "item-1.sealed").read_bytes() == before
    assert sorted(p.name for p in store.folder.iterdir()) == ["item-1.sealed"]


def test_deleting_twice_is_fine_and_the_item_is_gone(store, photo):
    store.put("item-1", photo)
    store.delete("item-1")
    store.delete("item-1")
    assert store.exists("item-1") is False
    with pytest.raises(ItemNotFound, match="item-1"):
        store.open_bytes("item-1")


def test_keys_lists_only_items_not_scraps_or_strangers(store, photo):
    store.put("a", photo)
    store.put("b", photo)
    (store.folder / ".incoming-abc").write_bytes(b"half written")
    (store.folder / "notes.txt").write_text("not ours")
    (store.folder / "bad name.sealed").write_bytes(b"")
    assert sorted(store.keys()) == ["a", "b"]


def test_keys_of_a_store_never_written_is_empty(store):
    assert list(store.keys()) == []


@pytest.mark.parametrize("bad", ["", "../escape", "a/b", "item.sealed", ".hidden", "x" * 129, None, 42])
def test_a_bad_item_key_is_refused_and_nothing_is_written(store, photo, bad):
    for attempt in (lambda: store.put(bad, photo), lambda: store.open_bytes(bad),
                    lambda: store.delete(bad), lambda: store.exists(bad)):
        with pytest.raises(QuarantineRefused, match="not a quarantine item key"):
            attempt()
    assert not store.folder.exists()


def test_a_missing_source_file_is_refused(store, tmp_path):
    with pytest.raises(QuarantineRefused, match="cannot be read"):
        store.put("item-1", tmp_path / "gone.jpg")
    assert list(store.keys()) == []


def test_a_tampered_file_raises_and_leaves_no_plaintext_at_the_destination(store, photo, tmp_path):
    store.put("item-1", photo)
    path = store.folder / "item-1.sealed"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(Tampered):
        store.fetch_to("item-1", tmp_path / "back.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.jpg", "quarantine"]


def test_a_truncated_file_is_reported_as_truncated(store, photo):
    store.put("item-1", photo)
    path = store.folder / "item-1.sealed"
    path.write_bytes(path.read_bytes()[:85 + 2 * (256 + 16)])
    with pytest.raises(Truncated):
        store.open_bytes("item-1")


def test_a_file_sealed_by_another_instance_is_a_wrong_key(store, photo, tmp_path):
    LocalQuarantine(store.folder, Keyring(os.urandom(32))).put("item-1", photo)
    with pytest.raises(WrongKey):
        store.open_bytes("item-1")


def test_fetching_into_a_missing_folder_is_refused(store, photo, tmp_path):
    store.put("item-1", photo)
    with pytest.raises(QuarantineRefused, match="cannot write into"):
        store.fetch_to("item-1", tmp_path / "no" / "such" / "back.jpg")


def test_fetching_a_missing_item_leaves_nothing_behind(store, tmp_path):
    store.folder.mkdir()
    with pytest.raises(ItemNotFound):
        store.fetch_to("item-1", tmp_path / "back.jpg")
    assert not (tmp_path / "back.jpg").exists()
    assert not any(p.name.startswith(".fetching-") for p in tmp_path.iterdir())


def test_a_store_whose_folder_is_a_file_is_misconfigured(tmp_path, photo):
    (tmp_path / "quarantine").write_text("oops")
    store = LocalQuarantine(tmp_path / "quarantine", Keyring(KEY))
    with pytest.raises(QuarantineMisconfigured, match="quarantine"):
        store.put("item-1", photo)
    with pytest.raises(QuarantineMisconfigured, match="not a folder"):
        store.check()


def test_check_passes_for_a_private_writable_folder(store, photo):
    store.put("item-1", photo)
    store.check()
    assert str(store.folder) in store.describe()
    assert KEY.hex() not in store.describe()


def test_check_fails_for_a_missing_folder(store):
    with pytest.raises(QuarantineMisconfigured, match="gatekeeper init"):
        store.check()


def test_check_fails_when_other_users_can_open_the_folder(store, photo):
    store.put("item-1", photo)
    os.chmod(store.folder, 0o755)
    with pytest.raises(QuarantineMisconfigured, match="chmod 700"):
        store.check()
