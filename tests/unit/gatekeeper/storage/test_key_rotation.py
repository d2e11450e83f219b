"""Instance key rotation: every object moves to the new key, and a crash at any point loses nothing."""
from __future__ import annotations

import base64
import io
import json
from contextlib import contextmanager

import pytest

from gatekeeper import create_app
from gatekeeper.instance import (
    SECRETS_FILE,
    InstanceError,
    begin_key_rotation,
    finish_key_rotation,
    load_secrets,
)
from gatekeeper.storage import quarantine_from_config
from gatekeeper.storage.base import ItemNotFound, QuarantineStore, QuarantineUnavailable
from gatekeeper.storage.envelope import Keyring, WrongKey, key_id
from gatekeeper.app.key_rotation import rewrap_quarantine, rotate_instance_key
from gatekeeper.storage.rotation import RotationError, RotationIncomplete, rewrap

OLD = bytes(range(32))
NEW = bytes(range(1, 33))


class MemoryQuarantine(QuarantineStore):
    """A quarantine in a dict; subclasses the real base, so sealing is the real thing."""

    kind = "memory"

    def __init__(self, keyring, listing_fails=False):
        super().__init__(keyring, chunk_size=64)
        self.blobs: dict[str, bytes] = {}
        self.listing_fails = listing_fails

    def _write(self, item_key, sealed):
        self.blobs[item_key] = sealed.read()

    @contextmanager
    def _open(self, item_key):
        if item_key not in self.blobs:
            raise ItemNotFound(item_key)
        yield io.BytesIO(self.blobs[item_key])

    def _delete(self, item_key):
        self.blobs.pop(item_key, None)

    def _exists(self, item_key):
        return item_key in self.blobs

    def _keys(self):
        if self.listing_fails:
            raise QuarantineUnavailable("cannot list the quarantine")
        return iter(list(self.blobs))

    def check(self):
        pass

    def describe(self):
        return "memory"


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "clean.jpg"
    path.write_bytes(b"FACE-OF-A-CHILD " * 40)
    return path


def test_rewrap_moves_objects_and_a_second_run_finds_them_done(photo):
    store = MemoryQuarantine(Keyring(OLD))
    for name in ("a", "b", "c"):
        store.put(name, photo)
    body_before = store.blobs["a"][85:]

    first = rewrap(store, OLD, NEW)
    second = rewrap(store, OLD, NEW)

    assert (first.rewrapped, first.already, first.failed) == (3, 0, {})
    assert (second.rewrapped, second.already, second.failed) == (0, 3, {})
    assert store.blobs["a"][85:] == body_before  # only the header was rewritten
    store.keyring = Keyring(NEW)
    assert store.open_bytes("b") == photo.read_bytes()


def test_rewrap_collects_objects_it_cannot_open_and_moves_the_rest(photo):
    store = MemoryQuarantine(Keyring(OLD))
    store.put("good", photo)
    elsewhere = MemoryQuarantine(Keyring(bytes(32)))
    elsewhere.put("foreign", photo)
    store.blobs["foreign"] = elsewhere.blobs["foreign"]
    store.put("damaged", photo)
    store.blobs["damaged"] = store.blobs["damaged"][:40]

    report = rewrap(store, OLD, NEW)

    assert report.rewrapped == 1
    assert set(report.failed) == {"foreign", "damaged"}
    assert "WrongKey" in report.failed["foreign"]
    assert "Truncated" in report.failed["damaged"]


def test_rewrap_cannot_start_when_the_store_cannot_be_listed():
    with pytest.raises(QuarantineUnavailable):
        rewrap(MemoryQuarantine(Keyring(OLD), listing_fails=True), OLD, NEW)


def test_the_new_key_is_saved_as_pending_before_anything_uses_it(instance_dir):
    old = load_secrets(instance_dir).data_key

    current, new, resumed = begin_key_rotation(instance_dir)

    assert (current, resumed) == (old, False)
    saved = load_secrets(instance_dir)
    assert (saved.data_key, saved.pending_data_key) == (old, new)
    assert begin_key_rotation(instance_dir) == (old, new, True)
    finish_key_rotation(instance_dir, new)
    done = load_secrets(instance_dir)
    assert (done.data_key, done.pending_data_key) == (new, None)
    assert oct((instance_dir / SECRETS_FILE).stat().st_mode & 0o777) == "0o600"


def test_finishing_a_rotation_that_was_never_begun_changes_nothing(instance_dir):
    before = (instance_dir / SECRETS_FILE).read_bytes()
    with pytest.raises(InstanceError, match="no key rotation in progress"):
        finish_key_rotation(instance_dir, NEW)
    assert (instance_dir / SECRETS_FILE).read_bytes() == before


def test_a_damaged_pending_key_is_reported(instance_dir):
    payload = json.loads((instance_dir / SECRETS_FILE).read_text())
    payload["pending_data_key"] = base64.b64encode(b"short").decode()
    (instance_dir / SECRETS_FILE).write_text(json.dumps(payload))
    with pytest.raises(InstanceError, match="damaged"):
        load_secrets(instance_dir)
    with pytest.raises(InstanceError, match="damaged"):
        begin_key_rotation(instance_dir)


# These tests are about the quarantine step; the database steps are tested on a migrated
# instance in tests/integration/gatekeeper/storage/test_rotation_of_sealed_records.py.
QUARANTINE_ONLY = (rewrap_quarantine,)


def app_for(instance_dir, **config):
    return create_app({"TESTING": True, **config}, instance_dir=str(instance_dir))


def test_rotation_rewraps_the_quarantine_and_switches_the_key(instance_dir, photo):
    app = app_for(instance_dir)
    store = quarantine_from_config(app.config)
    store.put("item-1", photo)
    store.put("item-2", photo)
    old = app.config["DATA_KEY"]

    result = rotate_instance_key(app, hooks=QUARANTINE_ONLY)

    new = load_secrets(instance_dir).data_key
    assert new != old and load_secrets(instance_dir).pending_data_key is None
    assert (result.old_key_id, result.new_key_id, result.resumed) == (key_id(old).hex(), key_id(new).hex(), False)
    assert result.steps == ("quarantine: 2 re-wrapped, 0 already under the new key",)
    after = quarantine_from_config(app_for(instance_dir).config)
    assert after.open_bytes("item-1") == photo.read_bytes()
    with pytest.raises(WrongKey):
        quarantine_from_config({**app.config, "DATA_KEY_PENDING": None}).open_bytes("item-2")


class Crash(BaseException):
    """Stands in for the process being killed."""


def test_a_crash_half_way_loses_nothing_and_a_rerun_finishes(instance_dir, photo, monkeypatch):
    app = app_for(instance_dir)
    store = quarantine_from_config(app.config)
    for name in ("a", "b", "c"):
        store.put(name, photo)
    old = app.config["DATA_KEY"]
    real_write, writes = type(store)._write, []

    def dies_on_second_rewrite(self, item_key, sealed):
        writes.append(item_key)
        if len(writes) == 2:
            raise Crash()
        return real_write(self, item_key, sealed)

    monkeypatch.setattr(type(store), "_write", dies_on_second_rewrite)
    with pytest.raises(Crash):
        rotate_instance_key(app, hooks=QUARANTINE_ONLY)
    monkeypatch.undo()

    secrets_now = load_secrets(instance_dir)
    assert secrets_now.data_key == old and secrets_now.pending_data_key is not None
    restarted = app_for(instance_dir)  # the service restarted mid-rotation can still open everything
    for name in ("a", "b", "c"):
        assert quarantine_from_config(restarted.config).open_bytes(name) == photo.read_bytes()

    result = rotate_instance_key(restarted, hooks=QUARANTINE_ONLY)

    assert result.resumed is True
    assert result.steps == ("quarantine: 2 re-wrapped, 1 already under the new key",)
    finished = app_for(instance_dir)
    assert finished.config["DATA_KEY"] == secrets_now.pending_data_key
    assert quarantine_from_config(finished.config).open_bytes("c") == photo.read_bytes()


def test_a_failing_step_keeps_the_old_key_and_every_object_readable(instance_dir, photo):
    app = app_for(instance_dir)
    quarantine_from_config(app.config).put("item-1", photo)
    old = app.config["DATA_KEY"]

    def template_step(app, old_key, new_key):
        raise RotationIncomplete("templates could not be re-sealed")

    with pytest.raises(RotationIncomplete, match="templates"):
        rotate_instance_key(app, hooks=(*QUARANTINE_ONLY, template_step))

    assert load_secrets(instance_dir).data_key == old
    assert quarantine_from_config(app_for(instance_dir).config).open_bytes("item-1") == photo.read_bytes()


def test_an_object_under_a_foreign_key_stops_the_switch(instance_dir, photo):
    app = app_for(instance_dir)
    quarantine_from_config({**app.config, "DATA_KEY": bytes(32)}).put("foreign", photo)
    old = app.config["DATA_KEY"]

    with pytest.raises(RotationIncomplete, match="1 quarantined item\\(s\\) could not be re-wrapped: foreign"):
        rotate_instance_key(app, hooks=QUARANTINE_ONLY)
    assert load_secrets(instance_dir).data_key == old


def test_every_hook_receives_the_app_and_both_keys(instance_dir):
    app = app_for(instance_dir)
    seen = []

    def step(app_, old_key, new_key):
        seen.append((app_, old_key, new_key))
        return "templates: 0 re-sealed"

    result = rotate_instance_key(app, hooks=(rewrap_quarantine, step))

    assert seen == [(app, app.config["DATA_KEY"], load_secrets(instance_dir).data_key)]
    assert result.steps[-1] == "templates: 0 re-sealed"


def test_a_data_key_set_outside_secrets_json_is_not_rotated(instance_dir):
    app = app_for(instance_dir, DATA_KEY=bytes(32), SECRET_KEY="x")
    before = (instance_dir / SECRETS_FILE).read_bytes()
    with pytest.raises(RotationError, match="outside secrets.json"):
        rotate_instance_key(app, hooks=QUARANTINE_ONLY)
    assert (instance_dir / SECRETS_FILE).read_bytes() == before
