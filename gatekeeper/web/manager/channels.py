"""The setting's official channels, each with the plain-English description parents read."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import records
from gatekeeper.app import channels as channel_service
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.current import principal
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_channels", __name__, "/manager/channels")
SHOW = {"current": False, "archived": True, "all": None}


def _uow():
    return unit_of_work(current_app._get_current_object())


def _page(error: str | None = None, status: int = 200, form=None, editing: int | None = None):
    show = request.args.get("show") or "current"
    if show not in SHOW:
        abort(400, description="Show current, archived or all channels.")
    channels = channel_service.list_channels(_uow(), principal(), archived=SHOW[show])
    return render_template("manager/channels.html", channels=channels, error=error, form=form or {}, show=show,
                           editing=editing), status


@bp.get("")
def channels():
    return _page()


@bp.post("")
def add_channel():
    form = request.form
    try:
        channel = channel_service.add_channel(_uow(), principal(), slug=form.get("slug", ""),
                                              name=form.get("name", ""), description=form.get("description", ""))
    except records.RecordsError as exc:
        return _page(sentence(exc), 400, form)
    flash(f"The channel “{channel.name}” was added.", "info")
    return redirect(url_for(".channels"))


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
