"""Setting tablets: paired once with a short-lived code, known by a token, revocable at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consent_db import audit, devices
from consent_db.audit import Actor
from consent_db.models import Device, PairingCode

from .conftest import T0, row_counts

MANAGER = Actor(account_id=None, label="Manager")


def pair(session, world, name="Room 1 tablet", at=T0):
    code = devices.issue_pairing_code(session, setting_id=world.setting_id, actor=MANAGER, at=at)
    return code, devices.pair_device(session, code=code, name=name, at=at + timedelta(minutes=1))


def test_a_paired_device_is_found_by_its_token_and_only_hashes_are_stored(session, world):
    code, token = pair(session, world)
    device = devices.device_for_token(session, token)
    assert device.name == "Room 1 tablet" and device.setting_id == world.setting_id
    assert token not in device.token_hash
    assert code not in session.scalars(select(PairingCode.code_hash)).one()
    assert [e.tag for e in reversed(audit.list_events(session, tag_prefix="device:"))] == [
        "device:pairing-code-issued", "device:paired"]


def test_a_code_read_out_in_lower_case_with_spaces_still_works(session, world):
    code = devices.issue_pairing_code(session, setting_id=world.setting_id, actor=MANAGER, at=T0)
    spaced = f"{code[:4]} {code[4:]}".lower()
    assert devices.pair_device(session, code=spaced, name="Tablet", at=T0)


@pytest.mark.parametrize("case", ["used twice", "expired", "wrong"])
def test_a_used_expired_or_wrong_code_pairs_nothing(session, world, case):
    code = devices.issue_pairing_code(session, setting_id=world.setting_id, actor=MANAGER, at=T0)
    at = T0 + timedelta(minutes=1)
    if case == "used twice":
        devices.pair_device(session, code=code, name="First", at=at)
    elif case == "expired":
        at = T0 + devices.CODE_TTL
    else:
        code = "AAAAAAAA" if code != "AAAAAAAA" else "BBBBBBBB"
    before = row_counts(session)
    with pytest.raises(devices.InvalidPairingCode):
        devices.pair_device(session, code=code, name="Second", at=at)
    assert row_counts(session) == before


def test_a_device_needs_a_name(session, world):
    code = devices.issue_pairing_code(session, setting_id=world.setting_id, actor=MANAGER, at=T0)
    with pytest.raises(devices.InvalidDeviceName):
        devices.pair_device(session, code=code, name="  ", at=T0)
    assert devices.pair_device(session, code=code, name="Now named", at=T0)  # the code was not used up


def test_a_revoked_device_token_stops_working_at_once(session, world):
    _, token = pair(session, world)
    device = devices.device_for_token(session, token)
    devices.revoke(session, device.id, actor=MANAGER, setting_id=world.setting_id, at=T0 + timedelta(hours=1))
    assert devices.device_for_token(session, token) is None
    devices.revoke(session, device.id, actor=MANAGER, setting_id=world.setting_id)
    assert len(audit.list_events(session, tag_prefix="device:revoked")) == 1


def test_rename_and_touch(session, world):
    _, token = pair(session, world)
    device = devices.device_for_token(session, token)
    devices.rename(session, device.id, "Garden tablet", actor=MANAGER, setting_id=world.setting_id)
    devices.touch(session, device.id, at=T0 + timedelta(days=1))
    assert device.name == "Garden tablet" and device.last_seen_at == T0 + timedelta(days=1)
    assert [d.id for d in devices.list_devices(session, setting_id=world.setting_id)] == [device.id]


def test_unknown_devices_and_empty_tokens(session, world):
    assert devices.device_for_token(session, "") is None
    assert devices.device_for_token(session, "not-a-token") is None
    with pytest.raises(devices.UnknownDevice):
        devices.revoke(session, 999, actor=MANAGER, setting_id=world.setting_id)
    with pytest.raises(devices.UnknownDevice):
        devices.rename(session, 999, "x", actor=MANAGER, setting_id=world.setting_id)
    _, token = pair(session, world)
    with pytest.raises(devices.InvalidDeviceName):
        devices.rename(session, devices.device_for_token(session, token).id, "", actor=MANAGER,
                       setting_id=world.setting_id)
    assert session.scalars(select(Device.name)).all() == ["Room 1 tablet"]
