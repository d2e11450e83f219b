"""Sign-in (throttled, staff only on a registered tablet), password change, Manager two-factor, sign-out,
and accepting an invitation."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from consent_db import accounts, audit
from consent_db.audit import AuditTag
from consent_db.models import Role, SessionStage
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import SESSION_KEY, actor, safe_next
from gatekeeper.web.services import invitations, sessions, throttle, two_factor
from gatekeeper.web.services.passwords import hasher_for

bp = Blueprint("auth", __name__)

WRONG = "The email or password is not right."
NO_DEVICE = ("Staff can only sign in on one of the setting's registered tablets, and this device is not "
             "registered (or its registration was revoked). Ask the Manager to pair it.")
HOME = {Role.MANAGER: "manager_queue.queue", Role.STAFF: "staff.upload", Role.PARENT: "parents.family"}
PENDING_TOTP = "pending_totp_secret"


def _policy() -> throttle.Policy:
    cfg = current_app.config
    return throttle.Policy(int(cfg["THROTTLE_ACCOUNT_FAILURES"]), int(cfg["THROTTLE_ADDRESS_FAILURES"]),
                           timedelta(minutes=int(cfg["THROTTLE_WINDOW_MINUTES"])))


def _first_stage(account) -> SessionStage:
    if account.must_change_password:
        return SessionStage.CHANGE_PASSWORD
    if account.role is Role.MANAGER:
        return SessionStage.TOTP if account.totp_secret else SessionStage.TOTP_SETUP
    return SessionStage.READY


def _after_password_stage(account) -> SessionStage:
    if account.role is Role.MANAGER:
        return SessionStage.TOTP if account.totp_secret else SessionStage.TOTP_SETUP
    return SessionStage.READY


def _continue(next_url: str | None = None):
    """Send a signed-in browser to its next sign-in step, or home."""
    if g.get("account") is None:
        return redirect(url_for("auth.signin"))
    stage = g.web_session.stage
    if stage is SessionStage.CHANGE_PASSWORD:
        return redirect(url_for("auth.password"))
    if stage is SessionStage.TOTP_SETUP:
        return redirect(url_for("auth.two_factor_setup"))
    if stage is SessionStage.TOTP:
        return redirect(url_for("auth.two_factor"))
    return redirect(safe_next(next_url or session.pop("next", None)) or url_for(HOME[g.account.role]))


@bp.get("/")
def home():
    return _continue()


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if request.method == "GET":
        if g.get("account") is not None:
            return _continue(request.args.get("next"))
        return render_template("auth/signin.html", next=safe_next(request.args.get("next")))
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    next_url = safe_next(request.form.get("next"))
    keys = throttle.keys_for(email, request.remote_addr)
    at = now()
    with transaction() as db:
        try:
            throttle.check(db, keys, at=at)
        except throttle.Throttled as exc:
            return render_template("auth/signin.html", error=str(exc), email=email, next=next_url), 429
        account = accounts.authenticate(db, email, password, hasher=hasher_for(current_app.config), at=at)
        device = g.device
        if account is None:
            throttle.record_failure(db, keys, _policy(), at=at)
            audit.record(db, AuditTag.ACCOUNT_SIGN_IN_FAILED, details={"reason": "wrong email or password"},
                         device_id=device.id if device else None, at=at)
            error, status = WRONG, 401
        elif account.role is Role.STAFF and device is None:
            audit.record(db, AuditTag.ACCOUNT_SIGN_IN_FAILED, subject=f"account:{account.id}",
                         setting_id=account.setting_id, details={"reason": "not a registered device"}, at=at)
            error, status = NO_DEVICE, 403
        else:
            throttle.clear(db, keys[0])
            stage = _first_stage(account)
            token = sessions.start(db, account, stage=stage, device_id=device.id if device else None, at=at,
                                   lifetime=timedelta(hours=int(current_app.config["SESSION_HOURS"])))
            audit.record(db, AuditTag.ACCOUNT_SIGNED_IN, subject=f"account:{account.id}",
                         setting_id=account.setting_id, details={"stage": stage.value},
                         actor_account_id=account.id, device_id=device.id if device else None, at=at)
            error = None
    if error:
        return render_template("auth/signin.html", error=error, email=email, next=next_url), status
    session.clear()  # a fresh session (and CSRF token) at each sign-in
    session[SESSION_KEY] = token
    if next_url:
        session["next"] = next_url
    return redirect(url_for("auth.home"))


@bp.post("/signout")
def signout():
    if g.get("web_session") is not None:
        with transaction() as db:
            sessions.end(db, db.merge(g.web_session), at=now())
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.signin"))


def _need_stage(*stages: SessionStage):
    if g.get("account") is None:
        return redirect(url_for("auth.signin"))
    if g.web_session.stage not in stages:
        return _continue()
    return None


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    stop = _need_stage(SessionStage.CHANGE_PASSWORD, SessionStage.READY)
    if stop is not None:
        return stop
    forced = g.web_session.stage is SessionStage.CHANGE_PASSWORD
    if request.method == "GET":
        return render_template("auth/password.html", forced=forced)
    new, again = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    hasher = hasher_for(current_app.config)
    error = None
    if new != again:
        error = "The two new passwords are not the same."
    at = now()
    with transaction() as db:
        account = db.merge(g.account)
        if error is None and not forced and accounts.authenticate(db, account.email, request.form.get("current_password", ""),
                                                                  hasher=hasher, at=at) is None:
            error = "Your current password is not right."
        if error is None:
            try:
                accounts.set_password(db, account.id, new, actor=actor(), hasher=hasher, at=at)
            except accounts.WeakPassword as exc:
                error = f"Choose another password: {exc}."
        if error is None:
            current = db.merge(g.web_session)
            sessions.end_all(db, at=at, account_id=account.id, keep_id=current.id)
            sessions.advance(db, current, _after_password_stage(account) if forced else SessionStage.READY)
            g.web_session = current
    if error:
        return render_template("auth/password.html", forced=forced, error=error), 400
    flash("Your password is changed.", "info")
    return _continue()


@bp.route("/signin/two-factor/setup", methods=["GET", "POST"])
def two_factor_setup():
    stop = _need_stage(SessionStage.TOTP_SETUP)
    if stop is not None:
        return stop
    secret = session.get(PENDING_TOTP) or two_factor.new_secret()
    session[PENDING_TOTP] = secret
    error = None
    if request.method == "POST":
        with transaction() as db:
            try:
                two_factor.enrol(db, db.merge(g.account), secret, request.form.get("code", ""),
                                 data_key=current_app.config["DATA_KEY"], actor=actor())
            except two_factor.TwoFactorError as exc:
                error = str(exc)
            else:
                current = db.merge(g.web_session)
                sessions.advance(db, current, SessionStage.READY)
                g.web_session = current
        if error is None:
            session.pop(PENDING_TOTP, None)
            flash("Two-factor sign-in is set up. You will need a code from your app each time you sign in.", "info")
            return _continue()
    return render_template("auth/two_factor_setup.html", secret=two_factor.grouped(secret),
                           uri=two_factor.provisioning_uri(secret, g.account.email), error=error), (400 if error else 200)


@bp.route("/signin/two-factor", methods=["GET", "POST"], endpoint="two_factor")
def two_factor_check():
    stop = _need_stage(SessionStage.TOTP)
    if stop is not None:
        return stop
    if request.method == "GET":
        return render_template("auth/two_factor.html")
    at = now()
    keys = [f"account:totp:{g.account.id}"]
    error = None
    with transaction() as db:
        try:
            throttle.check(db, keys, at=at)
            two_factor.verify(db, g.account.id, request.form.get("code", ""), data_key=current_app.config["DATA_KEY"],
                              at=at)
        except (throttle.Throttled, two_factor.TwoFactorError) as exc:
            error = str(exc)
            if isinstance(exc, two_factor.TwoFactorError):
                throttle.record_failure(db, keys, _policy(), at=at)
        else:
            throttle.clear(db, keys[0])
            current = db.merge(g.web_session)
            sessions.advance(db, current, SessionStage.READY)
            g.web_session = current
    if error:
        return render_template("auth/two_factor.html", error=error), 401
    return _continue()


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    at = now()
    with transaction() as db:
        try:
            invitation = invitations.open_invitation(db, token, at=at)
        except invitations.InvalidInvitation as exc:
            return render_template("auth/invitation.html", invalid=str(exc)), 404
        email, role = invitation.email, invitation.role
    if request.method == "GET":
        return render_template("auth/invitation.html", email=email, role=role, token=token)
    new, again = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    error = "The two passwords are not the same." if new != again else None
    if error is None:
        try:
            with transaction() as db:
                invitations.accept(db, token, new, at=at, hasher=hasher_for(current_app.config))
        except invitations.InvalidInvitation as exc:
            return render_template("auth/invitation.html", invalid=str(exc)), 404
        except accounts.AccountError as exc:
            error = f"Choose another password: {exc}." if isinstance(exc, accounts.WeakPassword) else str(exc)
    if error:
        return render_template("auth/invitation.html", email=email, role=role, token=token, error=error), 400
    flash("Your password is set. Sign in with your email and new password.", "info")
    return redirect(url_for("auth.signin"))
