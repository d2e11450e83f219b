"""The setting's official channels, each with the plain-English description parents read."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from consent_db import records
from gatekeeper.database import transaction
from gatekeeper.web.current import actor
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint, setting_id

bp = manager_blueprint("manager_channels", __name__, "/manager/channels")


def _page(error: str | None = None, status: int = 200, form=None):
    with transaction() as db:
        channels = records.list_channels(db, setting_id=setting_id())
    return render_template("manager/channels.html", channels=channels, error=error, form=form or {}), status


@bp.get("")
def channels():
    return _page()


@bp.post("")
def add_channel():
    form = request.form
    try:
        with transaction() as db:
            channel = records.add_channel(db, setting_id=setting_id(), slug=form.get("slug", ""),
                                          name=form.get("name", ""), description=form.get("description", ""),
                                          actor=actor())
    except records.RecordsError as exc:
        return _page(sentence(exc), 400, form)
    flash(f"The channel “{channel.name}” was added.", "info")
    return redirect(url_for(".channels"))
