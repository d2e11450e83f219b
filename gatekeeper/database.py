"""The app's database: one engine and session factory per app, made in init_app."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from flask import Flask, current_app
from sqlalchemy.orm import Session

from consent_db.db import make_engine, make_session_factory

EXTENSION = "gatekeeper.database"


def init_app(app: Flask) -> None:
    """Attach an engine for DATABASE_URL; nothing connects until first use."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = make_session_factory(engine)


def session_factory(app: Flask | None = None):
    """The sessionmaker of the given (or current) app."""
    return (app or current_app).extensions[EXTENSION]


@contextmanager
def transaction(app: Flask | None = None) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    factory = session_factory(app)
    with factory.begin() as session:
        yield session
