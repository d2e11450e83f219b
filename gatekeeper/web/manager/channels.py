"""The setting's official channels, each with the plain-English description parents read."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from consent_db import records
from gatekeeper.app import channels as channel_service
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.current import principal
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_channels", __name__, "/manager/channels")


def _uow():
    return unit_of_work(current_app._get_current_object())


def _page(error: str | None = None, status: int = 200, form=None):
    channels = channel_service.list_channels(_uow(), principal())
    return render_template("manager/channels.html", channels=channels, error=error, form=form or {}), status


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
