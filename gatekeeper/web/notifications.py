"""Every signed-in account's notifications: the list (read on sight), the unread count in the header,
and the Manager's choice of one email per notification or a daily digest."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from gatekeeper.app import notifications
from gatekeeper.app.context import unit_of_work
from gatekeeper.app.policy import PolicyError
from gatekeeper.web.current import principal, signed_in
from gatekeeper.web.services import mail

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.before_request
def only_signed_in():
    if not signed_in():
        return redirect(url_for("auth.signin", next=request.path))
    return None


def _uow():
    return unit_of_work(current_app._get_current_object())


@bp.get("")
def inbox():
    box = notifications.my_inbox(_uow(), principal())
    # Seen on this page, so no longer unread; the ones new since the last visit keep their mark below.
    notifications.mark_all_read(_uow(), principal())
    return render_template("notifications.html", box=box, can_email=mail.mailer() is not None)


@bp.post("/email")
def email_choice():
    daily = request.form.get("email") == "daily"
    try:
        notifications.choose_digest(_uow(), principal(), daily)
    except PolicyError:
        abort(403, "Only the Manager can choose a daily summary.")
    flash("You will get one email a day." if daily else "You will get an email for each notification.", "success")
    return redirect(url_for("notifications.inbox"))


def unread_notifications() -> int:
    """For the header: how many notifications the signed-in account has not seen (0 when signed out)."""
    if not signed_in():
        return 0
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = notifications.unread_count(_uow(), principal())
        except SQLAlchemyError:
            # The header must not break the page (an error page, above all) over a count.
            current_app.logger.warning("could not count unread notifications", exc_info=True)
            g.unread_notifications = 0
    return g.unread_notifications


def init_app(app: Flask) -> None:
    app.jinja_env.globals["unread_notifications"] = unread_notifications
