"""Registered tablets: issue a pairing code, rename, revoke (its sessions end at once), last seen."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from consent_db import devices
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import actor
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint, setting_id
from gatekeeper.web.services import sessions

bp = manager_blueprint("manager_devices", __name__, "/manager/devices")


def _page(error: str | None = None, status: int = 200, code: str | None = None):
    with transaction() as db:
        rows = devices.list_devices(db, setting_id=setting_id())
    return render_template("manager/devices.html", devices=rows, error=error, code=code,
                           minutes=int(devices.CODE_TTL.total_seconds() // 60)), status


@bp.get("")
def list_devices():
    return _page()


@bp.post("/pairing-code")
def pairing_code():
    with transaction() as db:
        code = devices.issue_pairing_code(db, setting_id=setting_id(), actor=actor())
    # Shown on this response only; it is stored hashed.
    return _page(code=code)


@bp.post("/<int:device_id>/rename")
def rename(device_id: int):
    try:
        with transaction() as db:
            devices.rename(db, device_id, request.form.get("name", ""), actor=actor(), setting_id=setting_id())
    except devices.UnknownDevice:
        abort(404)
    except devices.DeviceError as exc:
        return _page(sentence(exc), 400)
    flash("The tablet is renamed.", "info")
    return redirect(url_for(".list_devices"))


@bp.post("/<int:device_id>/revoke")
def revoke(device_id: int):
    at = now()
    try:
        with transaction() as db:
            device = devices.revoke(db, device_id, actor=actor(), setting_id=setting_id(), at=at)
            sessions.end_all(db, at=at, device_id=device.id)
    except devices.UnknownDevice:
        abort(404)
    flash(f"“{device.name}” is revoked: it can no longer be used to sign in or upload.", "info")
    return redirect(url_for(".list_devices"))
