"""The setting's name on every page, invitation and email, so people know whose service this is."""
from __future__ import annotations

from flask import Flask, g
from sqlalchemy.exc import SQLAlchemyError

from consent_db import records
from consent_db.models import Setting
from gatekeeper.database import transaction

PRODUCT = "Photo Gatekeeper"


def setting_name() -> str | None:
    """The asking account's (or tablet's) setting's name, else the instance's first; None when unknown."""
    if "setting_name" in g:
        return g.setting_name
    owner = g.get("account") or g.get("device")
    name = None
    try:
        with transaction() as db:
            setting = db.get(Setting, owner.setting_id) if owner is not None else None
            name = (setting or records.default_setting(db)).name
    except (records.NoSetting, SQLAlchemyError):
        pass  # an error page must still render when the database does not answer
    g.setting_name = name
    return name


def service_title(name: str | None) -> str:
    """"Little Acorns Photo Gatekeeper", or the product's name alone: the subject line of emails."""
    return f"{name} {PRODUCT}" if name else PRODUCT


def init_app(app: Flask) -> None:
    app.jinja_env.globals["setting_name"] = setting_name
