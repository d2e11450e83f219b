"""After a consent change commits, hand it to the gate so takedown and re-evaluation start.

The hook is an app extension so tests can watch it; by default it is the gate's
after_consent_change. Call only after the transaction that recorded the change has committed.
"""
from __future__ import annotations

from typing import Callable, Iterable

from flask import Flask, current_app

from consent_db.consent import ConsentChange
from gatekeeper.gate.consent_changes import after_consent_change

EXTENSION = "gatekeeper.web.consent_effects"
Hook = Callable[[Flask, ConsentChange], None]


def init_app(app: Flask, hook: Hook | None = None) -> None:
    app.extensions[EXTENSION] = hook or after_consent_change


def after_commit(changes: Iterable[ConsentChange], app: Flask | None = None) -> None:
    """Tell the gate about each committed change."""
    app = app or current_app._get_current_object()
    hook: Hook = app.extensions[EXTENSION]
    for change in changes:
        hook(app, change)
