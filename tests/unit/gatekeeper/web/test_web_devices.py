"""Pairing a tablet with the Manager's one-time code; renaming and revoking it."""
from __future__ import annotations

import re

from sqlalchemy import select

from consent_db.models import Device, WebSession
from gatekeeper.database import transaction
from gatekeeper.web.current import DEVICE_COOKIE
from tests.web_world import post


def issue_code(app, manager) -> str:
    page = post(app, manager, "/manager/devices/pairing-code").data.decode()
    return re.search(r'id="pairing-code">([A-Z0-9 ]+)<', page).group(1)


def test_the_manager_gets_a_code_that_pairs_a_tablet_with_a_long_lived_http_only_cookie(app, world, manager):
    code = issue_code(app, manager)
    tablet = app.test_client()
    assert b"Only the setting's own tablets" in tablet.get("/device").data
    response = post(app, tablet, "/device/pair", {"code": code.lower(), "name": "Garden tablet"})
    assert response.status_code == 302
    cookie = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE)][0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=34560000" in cookie
    assert b"Garden tablet" in tablet.get("/device").data
    assert b"Garden tablet" in manager.get("/manager/devices").data
    again = post(app, app.test_client(), "/device/pair", {"code": code, "name": "Second"})
    assert again.status_code == 400 and b"not valid" in again.data


def test_a_wrong_code_or_an_empty_name_is_refused(app, world, manager):
    assert post(app, app.test_client(), "/device/pair", {"code": "AAAA2222", "name": "x"}).status_code == 400
    code = issue_code(app, manager)
    response = post(app, app.test_client(), "/device/pair", {"code": code, "name": "  "})
    assert response.status_code == 400 and b"Give the tablet a name" in response.data


def test_guessing_codes_is_throttled_per_address(app, world):
    client = app.test_client()
    for _ in range(20):
        post(app, client, "/device/pair", {"code": "AAAA2222", "name": "x"})
    assert post(app, client, "/device/pair", {"code": "AAAA2222", "name": "x"}).status_code == 429


def test_rename_and_revoke(app, world, manager, staff):
    assert post(app, manager, f"/manager/devices/{world.device_id}/rename", {"name": "Blue room"}).status_code == 302
    assert post(app, manager, f"/manager/devices/{world.device_id}/rename", {"name": ""}).status_code == 400
    assert post(app, manager, f"/manager/devices/{world.device_id}/revoke").status_code == 302
    with transaction(app) as db:
        device = db.get(Device, world.device_id)
        assert device.name == "Blue room" and device.revoked
        live = db.scalars(select(WebSession).where(WebSession.device_id == world.device_id,
                                                   WebSession.ended_at.is_(None))).all()
        assert live == []
    assert staff.get("/staff/upload").status_code == 302
    assert b"Revoked" in manager.get("/manager/devices").data


def test_unknown_devices_are_404(app, manager):
    assert post(app, manager, "/manager/devices/999/revoke").status_code == 404
    assert post(app, manager, "/manager/devices/999/rename", {"name": "x"}).status_code == 404
