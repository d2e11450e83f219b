"""The tablet's side of pairing: type the Manager's one-time code, get a long-lived device cookie."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from consent_db import devices
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import set_device_cookie
from gatekeeper.web.services import throttle

bp = Blueprint("device", __name__, url_prefix="/device")


def _policy() -> throttle.Policy:
    cfg = current_app.config
    return throttle.Policy(address_failures=int(cfg["THROTTLE_ADDRESS_FAILURES"]),
                           window=timedelta(minutes=int(cfg["THROTTLE_WINDOW_MINUTES"])))


@bp.get("")
def status():
    return render_template("device/pair.html", device=g.device, code=request.args.get("code", ""))


@bp.post("/pair")
def pair():
    code, name = request.form.get("code", ""), request.form.get("name", "")
    keys = [f"address:pair:{request.remote_addr}"]
    at = now()
    error = None
    with transaction() as db:
        try:
            throttle.check(db, keys, at=at)
            token = devices.pair_device(db, code=code, name=name, at=at)
        except throttle.Throttled as exc:
            error, status = str(exc), 429
        except devices.InvalidPairingCode as exc:
            throttle.record_failure(db, keys, _policy(), at=at)
            error, status = f"{str(exc)[0].upper()}{str(exc)[1:]}.", 400
        except devices.InvalidDeviceName as exc:
            error, status = f"Give the tablet a name: {exc}.", 400
    if error:
        return render_template("device/pair.html", device=g.device, error=error, code=code, name=name), status
    flash(f"This tablet is now registered as “{name.strip()}”. Staff can sign in on it.", "info")
    response = redirect(url_for("auth.signin"))
    set_device_cookie(response, token)
    return response
