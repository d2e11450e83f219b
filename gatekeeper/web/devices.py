"""The tablet's side of pairing: type the Manager's one-time code, get a long-lived device cookie."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from consent_db import devices
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import set_device_cookie
from gatekeeper.web.services import signin, throttle

bp = Blueprint("device", __name__, url_prefix="/device")


@bp.get("")
def status():
    return render_template("device/pair.html", device=g.device, code=request.args.get("code", ""))


@bp.post("/pair")
def pair():
    code, name = request.form.get("code", ""), request.form.get("name", "")
    # Per address (the client's, through TRUSTED_PROXY_HOPS), counted before the code is tried.
    key = f"pairing:{request.remote_addr}"
    at = now()
    error = None
    with transaction() as db:
        caller = signin.Caller(request.remote_addr, g.device.id if g.get("device") else None)
        counted = signin.count(db, key, throttle.rules_from(current_app.config).pairing, caller, at=at, what="pairing",
                               counters=lambda session: throttle.counters_for(current_app.config, session))
    if counted.locked:
        error = str(throttle.Throttled(throttle.minutes_left(counted.locked_until, at), "wrong pairing codes"))
        return render_template("device/pair.html", device=g.device, error=error, code=code, name=name), 429
    with transaction() as db:
        try:
            token = devices.pair_device(db, code=code, name=name, at=at)
            throttle.counters_for(current_app.config, db).clear(key)
        except devices.InvalidPairingCode as exc:
            error, status = f"{str(exc)[0].upper()}{str(exc)[1:]}.", 400
        except devices.InvalidDeviceName as exc:
            error, status = f"Give the tablet a name: {exc}.", 400
    if error:
        return render_template("device/pair.html", device=g.device, error=error, code=code, name=name), status
    with transaction() as db:
        is_display = devices.device_for_token(db, token).is_display
    if is_display:
        response = redirect(url_for("display.show"))
    else:
        flash(f"This tablet is now registered as “{name.strip()}”. Staff can sign in on it.", "info")
        response = redirect(url_for("auth.signin"))
    set_device_cookie(response, token)
    return response
