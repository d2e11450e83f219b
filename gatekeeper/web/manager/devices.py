"""Registered tablets: issue a pairing code, rename, revoke (its sessions end at once), last seen."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import devices, records
from gatekeeper.app import channels as channel_service
from gatekeeper.app import devices as device_service
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.current import principal
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint
from gatekeeper.web.trust import trust_details

bp = manager_blueprint("manager_devices", __name__, "/manager/devices")


def _uow():
    return unit_of_work(current_app._get_current_object())


def _page(error: str | None = None, status: int = 200, code: str | None = None, display_code: str | None = None):
    rows = device_service.list_devices(_uow(), principal())
    public = current_app.config.get("PUBLIC_URL")
    pairing_url = public.rstrip("/") + url_for("device.status") if public else url_for("device.status", _external=True)
    channels = {c.id: c for c in channel_service.list_views(_uow(), principal())}
    displays = [c for c in channels.values() if c.kind is not None and c.kind.name == "display"]
    return render_template("manager/devices.html", devices=rows, error=error, code=code, display_code=display_code,
                           channels=channels, displays=displays, pairing_url=pairing_url, trust=trust_details(),
                           minutes=int(devices.CODE_TTL.total_seconds() // 60)), status


@bp.get("")
def list_devices():
    return _page()


@bp.post("/pairing-code")
def pairing_code():
    code = device_service.issue_pairing_code(_uow(), principal())
    # Shown on this response only; it is stored hashed.
    return _page(code=code)


@bp.post("/display-code")
def display_code():
    try:
        code = device_service.issue_display_code(_uow(), principal(), request.form.get("channel", ""))
    except records.UnknownChannel:
        return _page("Choose one of the setting's entrance display channels.", 400)
    except devices.DeviceError as exc:
        return _page(sentence(exc), 400)
    return _page(display_code=code)


@bp.post("/<int:device_id>/rename")
def rename(device_id: int):
    try:
        device_service.rename(_uow(), principal(), device_id, request.form.get("name", ""))
    except devices.UnknownDevice:
        abort(404)
    except devices.DeviceError as exc:
        return _page(sentence(exc), 400)
    flash("The tablet is renamed.", "info")
    return redirect(url_for(".list_devices"))


@bp.post("/<int:device_id>/revoke")
def revoke(device_id: int):
    try:
        device = device_service.revoke(_uow(), principal(), device_id)
    except devices.UnknownDevice:
        abort(404)
    flash(f"“{device.name}” is revoked: it can no longer be used to sign in or upload.", "info")
    return redirect(url_for(".list_devices"))
