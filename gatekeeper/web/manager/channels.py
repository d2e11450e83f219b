"""The setting's official channels: add one of a kind, choose where its media goes, check it, see takedowns.

Each kind's settings come from its declaration (gatekeeper.publishers.KINDS); a secret setting is
never put back into a page, and leaving it empty keeps the stored one.
"""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import records
from gatekeeper.app import channels as channel_service
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.publishers import KINDS
from gatekeeper.publishers.base import InvalidTarget, PublisherError
from gatekeeper.web.current import principal
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_channels", __name__, "/manager/channels")
SHOW = {"current": False, "archived": True, "all": None}


def _uow():
    return unit_of_work(current_app._get_current_object())


def _ctx():
    return gate_context(current_app._get_current_object())


def _kind_values(kind: str) -> dict[str, str]:
    """The posted settings of one kind: fields are named '<kind>__<setting>' so every kind fits one form."""
    prefix = f"{kind}__"
    return {key[len(prefix):]: value for key, value in request.form.items() if key.startswith(prefix)}


def _page(error: str | None = None, status: int = 200, form=None, editing: int | None = None):
    show = request.args.get("show") or "current"
    if show not in SHOW:
        abort(400, description="Show current, archived or all channels.")
    channels = channel_service.list_views(_uow(), principal(), archived=SHOW[show])
    return render_template("manager/channels.html", channels=channels, kinds=KINDS, error=error, form=form or {},
                           show=show, editing=editing), status


@bp.get("")
def channels():
    return _page()


@bp.post("")
def add_channel():
    form = request.form
    kind = form.get("kind", "local")
    try:
        channel = channel_service.add_channel(_uow(), principal(), slug=form.get("slug", ""),
                                              name=form.get("name", ""), description=form.get("description", ""),
                                              kind=kind, values=_kind_values(kind))
    except (records.RecordsError, InvalidTarget) as exc:
        return _page(sentence(exc), 400, form)
    flash(f"The channel “{channel.name}” was added.", "info")
    return redirect(url_for(".channel", channel_id=channel.id))


def _channel_page(channel_id: int, error: str | None = None, status: int = 200, checked: str | None = None):
    try:
        channel = channel_service.get_view(_uow(), principal(), channel_id)
        state = channel_service.channel_status(_ctx(), principal(), channel_id)
    except records.UnknownChannel:
        abort(404)
    return render_template("manager/channel.html", channel=channel, state=state, kinds=KINDS, error=error,
                           checked=checked), status


@bp.get("/<int:channel_id>")
def channel(channel_id: int):
    return _channel_page(channel_id)


@bp.post("/<int:channel_id>/target")
def set_target(channel_id: int):
    kind = request.form.get("kind", "")
    try:
        channel_service.set_target(_uow(), principal(), channel_id, kind=kind, values=_kind_values(kind))
    except records.UnknownChannel:
        abort(404)
    except InvalidTarget as exc:
        return _channel_page(channel_id, sentence(exc), 400)
    flash("Where this channel's media goes is saved.", "info")
    return redirect(url_for(".channel", channel_id=channel_id))


@bp.post("/<int:channel_id>/size")
def set_side(channel_id: int):
    raw = (request.form.get("rendition_side") or "").strip()
    if raw and not raw.isdigit():
        return _channel_page(channel_id, "The picture size must be a whole number of pixels.", 400)
    try:
        channel_service.set_rendition_side(_uow(), principal(), channel_id, int(raw) if raw else None)
    except records.UnknownChannel:
        abort(404)
    except records.RecordsError as exc:
        return _channel_page(channel_id, sentence(exc), 400)
    flash("The picture size is saved. Items not yet made in that size wait until their faces are checked again.",
          "info")
    return redirect(url_for(".channel", channel_id=channel_id))


@bp.post("/<int:channel_id>/check")
def check(channel_id: int):
    try:
        described = channel_service.check_channel(_ctx(), principal(), channel_id)
    except records.UnknownChannel:
        abort(404)
    except PublisherError as exc:
        return _channel_page(channel_id, f"The channel cannot be published to now: {sentence(exc)}", 200)
    return _channel_page(channel_id, checked=f"The channel can be published to: {described}.")


@bp.post("/<int:channel_id>/edit")
def edit(channel_id: int):
    form = request.form
    try:
        channel_service.update_channel(_uow(), principal(), channel_id, name=form.get("name", ""),
                                       description=form.get("description", ""))
    except records.UnknownChannel:
        abort(404)
    except records.RecordsError as exc:
        return _page(sentence(exc), 400, editing=channel_id)
    flash("The channel is saved.", "info")
    return redirect(url_for(".channels"))


@bp.post("/<int:channel_id>/archive")
def archive(channel_id: int):
    try:
        channel = channel_service.archive_channel(_uow(), principal(), channel_id)
    except records.UnknownChannel:
        abort(404)
    except records.RecordsError as exc:
        return _page(sentence(exc), 409)
    flash(f"The channel “{channel.name}” is archived: nothing more is published there, and what is there is "
          "being taken down.", "info")
    return redirect(url_for(".channels"))


@bp.post("/<int:channel_id>/restore")
def restore(channel_id: int):
    try:
        channel = channel_service.restore_channel(_uow(), principal(), channel_id)
    except records.UnknownChannel:
        abort(404)
    except records.RecordsError as exc:
        return _page(sentence(exc), 409)
    flash(f"The channel “{channel.name}” is open again. Nothing taken down comes back by itself: approve items "
          "for it again. Consent parents gave for it before it was archived applies again.", "info")
    return redirect(url_for(".channels"))
