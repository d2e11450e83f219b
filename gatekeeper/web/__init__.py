"""The web app: who is asking, security, blueprints and error pages, registered in one place."""
from __future__ import annotations

from flask import Flask

from gatekeeper.web import (auth, branding, current, dates, devices, display, errors, health, media, nav,
                            notifications, parents, password_reset, security, staff, trust, uploads, words)
from gatekeeper.web.manager import accounts, audit, channels, consent, enrolment, newsletter, people, queue
from gatekeeper.web.manager import devices as manager_devices
from gatekeeper.web.services import mail, throttle

BLUEPRINTS = (
    health.bp,
    auth.bp,
    password_reset.bp,
    devices.bp,
    trust.bp,
    display.bp,
    parents.bp,
    staff.bp,
    media.bp,
    queue.bp,
    people.bp,
    consent.bp,
    enrolment.bp,
    channels.bp,
    newsletter.bp,
    manager_devices.bp,
    accounts.bp,
    audit.bp,
    notifications.bp,
)


def init_app(app: Flask) -> None:
    """Register the request loader first (the body limit and CSRF need to know who asks), then the rest."""
    throttle.check_config(app.config)
    uploads.init_app(app)
    current.init_app(app)
    security.init_app(app)
    mail.init_app(app)
    errors.init_app(app)
    nav.init_app(app)
    branding.init_app(app)
    notifications.init_app(app)
    dates.init_app(app)
    words.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
