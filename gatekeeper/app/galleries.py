"""The face gallery of an instance, for commands that scan files outside any upload."""
from __future__ import annotations

from flask import Flask

from consent_db.records import default_setting
from consent_db.timeutil import now
from gatekeeper.database import session_factory
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.service import gallery_for_setting


def load_gallery_for(app: Flask) -> Gallery:
    """The instance's gallery now, for its (first) setting; raises NoSetting before `gatekeeper init`."""
    with session_factory(app)() as session:
        return gallery_for_setting(session, app.config["DATA_KEY"], setting_id=default_setting(session).id, at=now())
