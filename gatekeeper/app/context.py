"""Building the application layer's collaborators for a Flask app: the gate context and units of work.

The composition root (gatekeeper.create_app) hands in the job queue's enqueue, so this layer never
imports the job runner.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask

from gatekeeper.app.uow import UnitOfWork
from gatekeeper.database import session_factory
from gatekeeper.gate.context import GateContext
from gatekeeper.job_names import JobName
from gatekeeper.storage import quarantine_from_config

CONTEXT = "gatekeeper.app.gate_context"
ENQUEUE = "gatekeeper.app.enqueue"


def init_app(app: Flask, *, enqueue: Callable[..., Any]) -> None:
    """Remember how to queue jobs (job name, **kwargs); called once by the app factory."""
    app.extensions[ENQUEUE] = enqueue


def gate_context(app: Flask) -> GateContext:
    """The app's gate context, made on first use."""
    context = app.extensions.get(CONTEXT)
    if context is None:
        context = GateContext(
            config=app.config,
            sessions=session_factory(app),
            store=quarantine_from_config(app.config),
            enqueue=app.extensions[ENQUEUE],
        )
        app.extensions[CONTEXT] = context
    return context


def unit_of_work(app: Flask) -> UnitOfWork:
    """A new unit of work on the app's database; after commit it asks a worker to drain the outbox."""
    ctx = gate_context(app)
    return UnitOfWork(ctx.sessions, clock=ctx.clock, after_commit=lambda: ctx.enqueue(JobName.DRAIN_OUTBOX))
