"""The newsletter: pick approved pictures, write a subject and an introduction, preview, send."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db.records import RecordsError
from gatekeeper.app import newsletter as newsletter_service
from gatekeeper.app.context import gate_context
from gatekeeper.gate.errors import GateError
from gatekeeper.publishers.base import PublisherError, PublisherUnavailable
from gatekeeper.web.current import principal
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_newsletter", __name__, "/manager/newsletter")
MAX_SUBJECT = 200


def _ctx():
    return gate_context(current_app._get_current_object())


@bp.get("")
def newsletters():
    channels = newsletter_service.newsletter_channels(_ctx(), principal())
    if len(channels) == 1:
        return redirect(url_for(".compose", channel_id=channels[0].id))
    return render_template("manager/newsletters.html", channels=channels)


def _page(channel_id: int, *, error: str | None = None, status: int = 200, preview=None, warnings=None):
    try:
        desk = newsletter_service.desk(_ctx(), principal(), channel_id)
    except (RecordsError, GateError):
        abort(404)
    form = request.form if request.method == "POST" else {}
    chosen = set(request.form.getlist("item")) if request.method == "POST" else set()
    return render_template("manager/newsletter.html", desk=desk, error=error, preview=preview,
                           warnings=warnings or [], form=form, chosen=chosen), status


def _issue_form() -> tuple[list[str], str, str]:
    subject = request.form.get("subject", "").strip()
    intro = request.form.get("intro", "")
    if len(subject) > MAX_SUBJECT:
        raise GateError(f"the subject can be at most {MAX_SUBJECT} characters")
    if not subject:
        raise GateError("write a subject for the issue")
    return request.form.getlist("item"), subject, intro


@bp.get("/<int:channel_id>")
def compose(channel_id: int):
    return _page(channel_id)


@bp.post("/<int:channel_id>/preview")
def preview(channel_id: int):
    try:
        public_ids, subject, intro = _issue_form()
        report, warnings = newsletter_service.preview(_ctx(), principal(), channel_id, public_ids,
                                                      subject=subject, intro=intro)
    except RecordsError:
        abort(404)
    except GateError as exc:
        return _page(channel_id, error=sentence(exc), status=400)
    return _page(channel_id, preview=report, warnings=warnings)


@bp.post("/<int:channel_id>/send")
def send(channel_id: int):
    try:
        public_ids, subject, intro = _issue_form()
        report = newsletter_service.send(_ctx(), principal(), channel_id, public_ids, subject=subject, intro=intro)
    except RecordsError:
        abort(404)
    except GateError as exc:
        return _page(channel_id, error=sentence(exc), status=400)
    except PublisherUnavailable as exc:
        return _page(channel_id, error=f"Nothing was sent: {sentence(exc)} Try again later.", status=503)
    except PublisherError as exc:
        return _page(channel_id, error=f"Nothing was sent: {sentence(exc)}", status=502)
    message = f"The issue “{report.subject}” was sent to {report.recipients} address(es) with {len(report.sent)} picture(s)."
    if report.left_out:
        message += f" {len(report.left_out)} picture(s) were left out because consent no longer covers them."
    flash(message, "info")
    if report.refused_recipients:
        flash("The mail server refused these addresses: " + ", ".join(report.refused_recipients), "error")
    return redirect(url_for(".compose", channel_id=channel_id))
