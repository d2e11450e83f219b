"""The WSGI entry point for gunicorn: `gunicorn -k gthread 'gatekeeper.wsgi:application'`.

The instance folder comes from $GATEKEEPER_INSTANCE (else ./instance) and settings from its
config.toml and GATEKEEPER_* variables, as for every command. The app is built on first access to
`application` (in each worker process), not at import. Accessing it raises ConfigError or
InstanceError when the instance is unusable, so gunicorn stops with that message.
Jobs are not run here: start `gatekeeper worker` beside it.
"""
from __future__ import annotations

import functools

from flask import Flask


@functools.cache
def _application() -> Flask:
    from gatekeeper import create_app

    return create_app()


def __getattr__(name: str):
    if name == "application":
        return _application()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
