"""The web app's blueprints, registered on the app in one place."""
from __future__ import annotations

from flask import Flask

from gatekeeper.web import health

BLUEPRINTS = (health.bp,)


def init_app(app: Flask) -> None:
    """Register every blueprint."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
