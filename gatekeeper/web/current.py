"""Who is asking: the signed-in account, its sign-in stage, and the registered tablet (device cookie).

Loaded once per request into flask.g; blueprints guard themselves with require_role().
A staff session is bound to the tablet it signed in on: if that tablet is revoked or its cookie
is gone, the session ends at once with a plain message.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, session, url_for

from consent_db import devices
from consent_db.audit import Actor
from consent_db.models import Role, SessionStage
from consent_db.timeutil import now
from gatekeeper.app.principal import Principal
from gatekeeper.app.principal import Role as PrincipalRole
from gatekeeper.database import transaction
from gatekeeper.web.services import sessions

DEVICE_COOKIE = "gk_device"
DEVICE_COOKIE_DAYS = 400  # browsers cap cookie lifetimes at about 400 days; it is renewed at each sign-in
TOUCH_EVERY = timedelta(minutes=1)
SESSION_KEY = "sid"
DEVICE_GONE = ("This tablet is no longer registered with the setting (the Manager may have revoked it), "
               "so it cannot be used to upload. Ask the Manager to pair it again.")


def _load() -> None:
    g.account = g.web_session = g.device = g.display = None
    token = session.get(SESSION_KEY)
    device_token = request.cookies.get(DEVICE_COOKIE)
    if not token and not device_token:
        return
    at = now()
    with transaction() as db:
        device = devices.device_for_token(db, device_token) if device_token else None
        if device is not None and (device.last_seen_at is None or at - device.last_seen_at > TOUCH_EVERY):
            devices.touch(db, device.id, at=at)
        if device is not None and device.is_display:
            # An entrance display is never a staff tablet: nobody signs in or uploads through it.
            g.display, device = device, None
        idle = sessions.idle_limits(int(current_app.config["IDLE_MINUTES"]))
        found = sessions.find(db, token, at=at, idle=idle) if token else None
        if found is not None and device is not None and device.setting_id != found.account.setting_id:
            # Another setting's tablet on the same instance is not this account's tablet: a staff session
            # on it ends below, and nobody else acts (or is audited) as if from it.
            device = None
        if found is not None and found.account.role is Role.STAFF and (
            device is None or found.web_session.device_id != device.id
        ):
            sessions.end(db, found.web_session, at=at)
            found = None
            session.pop(SESSION_KEY, None)
            flash(DEVICE_GONE, "error")
        elif found is None and token:
            session.pop(SESSION_KEY, None)
    g.device = device
    if found is not None:
        g.account, g.web_session = found.account, found.web_session


def signed_in(role: Role | None = None) -> bool:
    """Whether a fully signed-in account (of this role, when given) is asking."""
    ready = g.get("account") is not None and g.web_session.stage is SessionStage.READY
    return ready and (role is None or g.account.role is role)


def actor() -> Actor:
    """The audit actor for this request: the account and, when there is one, the tablet."""
    return Actor(account_id=g.account.id if g.get("account") else None,
                 device_id=g.device.id if g.get("device") else None)


def principal() -> Principal:
    """Who is asking, for the application layer: the signed-in account's role, setting, guardian and tablet."""
    account = g.account
    return Principal(PrincipalRole(account.role.value), account.setting_id, account_id=account.id,
                     guardian_id=account.guardian_id, device_id=g.device.id if g.get("device") else None)


def safe_next(target: str | None) -> str | None:
    """A local path to return to after sign-in, else None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


SIGNED_OUT = "You were signed out — sign in again, then send the file again."


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def signed_out_answer():
    """For a script (the uploader): a 401 it can put in words, instead of the sign-in page's HTML."""
    return jsonify(ok=False, signed_out=True, message=SIGNED_OUT, signin=url_for("auth.signin")), 401


def require_role(role: Role):
    """A before_request guard: anonymous callers go to sign-in (a script asking for JSON gets a 401),
    other roles get 403."""
    def guard():
        if g.get("account") is None or g.web_session.stage is not SessionStage.READY:
            if wants_json():
                return signed_out_answer()
            return redirect(url_for("auth.signin", next=request.full_path.rstrip("?") if request.method == "GET" else None))
        if g.account.role is not role:
            abort(403)
        return None
    return guard


def set_device_cookie(response, token: str) -> None:
    response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Strict", path="/")


def init_app(app: Flask) -> None:
    app.before_request(_load)
    app.jinja_env.globals["signed_in"] = signed_in
