"""Forgotten passwords: a one-time link by email when SMTP and PUBLIC_URL are set, else ask the Manager."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from consent_db import accounts
from consent_db import recovery as resets
from consent_db.models import Account
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.branding import service_title, setting_name
from gatekeeper.web.services import mail, recovery, throttle
from gatekeeper.web.services.passwords import hasher_for
from gatekeeper.web.services.public_links import public_link

bp = Blueprint("password_reset", __name__)

SENT = ("If an account uses that address, an email with a link to choose a new password is on its way. "
        "The link works once, for {minutes} minutes.")


def _can_email() -> bool:
    return mail.mailer() is not None and bool(current_app.config.get("PUBLIC_URL"))


@bp.route("/signin/forgot", methods=["GET", "POST"])
def forgot():
    if not _can_email() or request.method == "GET":
        return render_template("auth/forgot.html", can_email=_can_email())
    email = request.form.get("email", "")[:320]
    at, minutes = now(), int(current_app.config["PASSWORD_RESET_MINUTES"])
    # Counted per email and address like sign-in, so nobody can flood an inbox from one place.
    with transaction() as db:
        counted = throttle.counters_for(current_app.config, db).count(
            throttle.pair_key(email, request.remote_addr, "reset"), throttle.rules_from(current_app.config).pair, at=at)
    if counted.locked:
        error = str(throttle.Throttled(throttle.minutes_left(counted.locked_until, at), "password-reset requests"))
        return render_template("auth/forgot.html", can_email=True, error=error), 429
    if not _may_email(email, at):
        # Asked for from many places at once: the same answer, but no more mail to that inbox this hour,
        # and the link sent last keeps working (a new request would have replaced it).
        return render_template("auth/forgot.html", can_email=True, sent=SENT.format(minutes=minutes))
    with transaction() as db:
        made = resets.request_reset(db, email, at=at, lifetime=timedelta(minutes=minutes))
    if made is not None:
        account, token = made
        link = public_link("password_reset.choose", token=token)
        # From a thread: the mail server's delay must not tell whether the address has an account.
        service = service_title(setting_name())
        mail.send_in_background(mail.mailer(), account.email, f"Choose a new {service} password",
                                f"Someone (we hope you) asked to reset your {service} password. Choose a new one here "
                                f"(the link works once, for {minutes} minutes):\n\n{link}\n\n"
                                "If it was not you, ignore this email: your password is unchanged.\n")
    return render_template("auth/forgot.html", can_email=True, sent=SENT.format(minutes=minutes))


def _may_email(email: str, at) -> bool:
    """Whether another reset email may go to this address this hour; counted for unknown emails too."""
    rule = throttle.Rule(int(current_app.config["PASSWORD_RESET_EMAILS_PER_HOUR"]), timedelta(hours=1))
    with transaction() as db:
        counted = throttle.counters_for(current_app.config, db).count(
            throttle.pair_key(email, None, "reset-inbox"), rule, at=at)
    return not counted.locked


@bp.route("/signin/reset/<token>", methods=["GET", "POST"])
def choose(token: str):
    at = now()
    with transaction() as db:
        try:
            row = resets.open_reset(db, token, at=at)
        except resets.InvalidReset as exc:
            return render_template("auth/reset.html", invalid=str(exc)), 404
        email = db.get(Account, row.account_id).email
    if request.method == "GET":
        return render_template("auth/reset.html", token=token, email=email)
    new, again = request.form.get("new_password", ""), request.form.get("confirm_password", "")
    error = "The two passwords are not the same." if new != again else None
    if error is None:
        try:
            with transaction() as db:
                account = resets.complete_reset(db, token, new, at=at, hasher=hasher_for(current_app.config))
            recovery.notify_changed(mail.mailer(), account.email, "with a password-reset link",
                                    service=service_title(setting_name()))
        except resets.InvalidReset as exc:
            return render_template("auth/reset.html", invalid=str(exc)), 404
        except accounts.WeakPassword as exc:
            error = f"Choose another password: {exc}."
    if error:
        return render_template("auth/reset.html", token=token, email=email, error=error), 400
    flash("Your password is changed. Sign in with it now.", "info")
    return redirect(url_for("auth.signin"))
