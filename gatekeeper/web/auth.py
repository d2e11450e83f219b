"""Sign-in pages (the password step lives in services/signin.py), password change, Manager two-factor
and its recovery codes, sign-out, and accepting an invitation."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from consent_db import accounts, invitations
from consent_db.accounts import end_sessions
from consent_db.audit import AuditTag
from consent_db.models import Role, SessionStage
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.branding import service_title, setting_name
from gatekeeper.web.current import SESSION_KEY, actor, safe_next
from gatekeeper.web.services import mail, recovery, sessions, throttle, two_factor
from gatekeeper.web.services import signin as signin_service
from gatekeeper.web.services.passwords import hasher_for

bp = Blueprint("auth", __name__)

HOME = {Role.MANAGER: "manager_queue.queue", Role.STAFF: "staff.upload", Role.PARENT: "parents.family"}


def _rules() -> throttle.Rules:
    return throttle.rules_from(current_app.config)


def _counters(db) -> throttle.Counters:
    return throttle.counters_for(current_app.config, db)


def _caller() -> signin_service.Caller:
    return signin_service.Caller(request.remote_addr, g.device.id if g.get("device") else None)


def _log(db, tag: AuditTag, *, account=None, at, **details) -> None:
    signin_service.security_event(db, tag, _caller(), account=account, at=at, **details)


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
    email = request.form.get("email", "")[:320]
    next_url = safe_next(request.form.get("next"))
    outcome = signin_service.sign_in(
        transaction, email=email, password=request.form.get("password", "")[:1024], caller=_caller(),
        rules=_rules(), hasher=hasher_for(current_app.config), at=now(),
        lifetime=timedelta(hours=int(current_app.config["SESSION_HOURS"])), counters=_counters)
    if outcome.error:
        return render_template("auth/signin.html", error=outcome.error, email=email, next=next_url), outcome.status
    session.clear()  # a fresh session (and CSRF token) at each sign-in
    session[SESSION_KEY] = outcome.token
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
            end_sessions(db, at=at, account_id=account.id, keep_id=current.id)
            session[SESSION_KEY] = sessions.advance(
                db, current, signin_service.after_password_stage(account) if forced else SessionStage.READY)
            g.web_session = current
    if error:
        return render_template("auth/password.html", forced=forced, error=error), 400
    recovery.notify_changed(mail.mailer(), g.account.email, "by you, signed in",
                            service=service_title(setting_name()))
    flash("Your password is changed.", "info")
    return _continue()


@bp.route("/signin/two-factor/setup", methods=["GET", "POST"])
def two_factor_setup():
    stop = _need_stage(SessionStage.TOTP_SETUP)
    if stop is not None:
        return stop
    data_key = current_app.config["DATA_KEY"]
    at = now()
    error = codes = None
    with transaction() as db:
        current = db.merge(g.web_session)
        secret = two_factor.pending_secret(db, current, data_key=data_key)
        if request.method == "POST":
            try:
                account = db.merge(g.account)
                two_factor.enrol(db, account, secret, request.form.get("code", ""), data_key=data_key, actor=actor())
            except two_factor.TwoFactorError as exc:
                error = str(exc)
                _log(db, AuditTag.ACCOUNT_TWO_FACTOR_FAILED, account=g.account, at=at, step="set-up")
            else:
                current.pending_totp_secret = None
                codes = two_factor.new_recovery_codes(db, account, at=at)
                session[SESSION_KEY] = sessions.advance(db, current, SessionStage.READY)
        g.web_session = current
    if codes is not None:
        # Shown once, in this response only: only their hashes are kept.
        return render_template("auth/recovery_codes.html", codes=codes)
    return render_template("auth/two_factor_setup.html", secret=two_factor.grouped(secret),
                           uri=two_factor.provisioning_uri(secret, g.account.email), error=error), (400 if error else 200)


def _check_second_factor(db, account_id: int, code: str, at) -> str | None:
    """None when the code (or a recovery code) is right, else the plain-words reason; raises nothing."""
    try:
        if two_factor.CODE_RE.match("".join(code.split())):
            two_factor.verify(db, account_id, code, data_key=current_app.config["DATA_KEY"], at=at)
        else:
            left = two_factor.use_recovery_code(db, account_id, code, at=at)
            _log(db, AuditTag.ACCOUNT_RECOVERY_CODE_USED, account=g.account, at=at, left=left)
            flash(f"You signed in with a recovery code; {left} are left. If your phone is lost, set up two-factor "
                  "again from the Accounts page.", "info")
    except two_factor.TwoFactorError as exc:
        return str(exc)
    return None


@bp.route("/signin/two-factor", methods=["GET", "POST"], endpoint="two_factor")
def two_factor_check():
    stop = _need_stage(SessionStage.TOTP)
    if stop is not None:
        return stop
    if request.method == "GET":
        return render_template("auth/two_factor.html")
    at = now()
    key = f"totp:{g.account.id}"
    with transaction() as db:
        counted = signin_service.count(db, key, _rules().two_factor, _caller(), at=at, account=g.account,
                                       what="two-factor", counters=_counters)
    if counted.locked:
        message = str(throttle.Throttled(throttle.minutes_left(counted.locked_until, at), "wrong codes"))
        return render_template("auth/two_factor.html", error=message), 429
    with transaction() as db:
        error = _check_second_factor(db, g.account.id, request.form.get("code", "")[:64], at)
        if error is None:
            _counters(db).clear(key)
            current = db.merge(g.web_session)
            session[SESSION_KEY] = sessions.advance(db, current, SessionStage.READY)
            g.web_session = current
    if error is not None:
        with transaction() as db:
            _log(db, AuditTag.ACCOUNT_TWO_FACTOR_FAILED, account=g.account, at=at, step="sign-in")
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


@bp.route("/account/two-factor", methods=["GET", "POST"], endpoint="two_factor_renew")
def two_factor_renew():
    """A Manager who lost the phone (and signed in with a recovery code) sets two-factor up again."""
    stop = _need_stage(SessionStage.READY)
    if stop is not None:
        return stop
    if g.account.role is not Role.MANAGER:
        return redirect(url_for("auth.home"))
    if request.method == "GET":
        return render_template("auth/two_factor_renew.html")
    at = now()
    with transaction() as db:
        account = db.merge(g.account)
        if accounts.authenticate(db, account.email, request.form.get("current_password", "")[:1024],
                                 hasher=hasher_for(current_app.config), at=at) is None:
            _log(db, AuditTag.ACCOUNT_TWO_FACTOR_FAILED, account=account, at=at, step="renew: wrong password")
            error = "Your current password is not right."
        else:
            two_factor.reset(db, account, actor=actor(), at=at)
            current = db.merge(g.web_session)
            end_sessions(db, at=at, account_id=account.id, keep_id=current.id)
            session[SESSION_KEY] = sessions.advance(db, current, SessionStage.TOTP_SETUP)
            g.web_session = current
            error = None
    if error:
        return render_template("auth/two_factor_renew.html", error=error), 400
    return redirect(url_for("auth.two_factor_setup"))
