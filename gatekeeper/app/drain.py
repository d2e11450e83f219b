"""Carrying out the outbox: claim due rows, run each row's handler, mark it done or give it back to retry."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from consent_db import outbox
from gatekeeper.app.handlers import HANDLERS, Handler
from gatekeeper.gate.context import GateContext

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # longer than any one handler; a row whose drainer died is free again after it
BATCH = 20
MAX_BATCHES = 50  # a drain call ends; the next one (or the periodic drain) picks up the rest


class UnknownOutboxKind(KeyError):
    """A row of a kind no handler is registered for (written by a newer version): retried later."""


@dataclass
class DrainReport:
    handled: int = 0
    failed: int = 0
    taken_down: int = 0
    templates_deleted: int = 0
    errors: list[str] = field(default_factory=list)


def drain(ctx: GateContext, *, handlers: dict[str, Handler] = HANDLERS, batch: int = BATCH,
          lease: timedelta = LEASE) -> DrainReport:
    """Run every due row once; failures are recorded on their row and retried with backoff, never dropped."""
    report = DrainReport()
    token = secrets.token_hex(16)
    for _ in range(MAX_BATCHES):
        with ctx.sessions.begin() as session:
            rows = outbox.claim(session, token=token, at=ctx.clock(), lease=lease, limit=batch)
        if not rows:
            break
        for row in rows:
            _run(ctx, row, token, handlers, report)
    return report


def _run(ctx: GateContext, row: outbox.ClaimedRow, token: str, handlers: dict[str, Handler],
         report: DrainReport) -> None:
    try:
        handler = handlers.get(row.kind)
        if handler is None:
            raise UnknownOutboxKind(f"no handler for outbox kind {row.kind!r}")
        outcome = handler(ctx, row.setting_id, row.payload)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the row and retried
        error = f"{exc.__class__.__name__}: {exc}"
        log.warning("outbox row %s (%s) failed on attempt %d: %s", row.id, row.kind, row.attempts, error)
        with ctx.sessions.begin() as session:
            outbox.fail(session, row.id, token=token, error=error, attempts=row.attempts, at=ctx.clock())
        report.failed += 1
        report.errors.append(error)
        return
    with ctx.sessions.begin() as session:
        outbox.complete(session, row.id, token=token, at=ctx.clock())
    report.handled += 1
    report.taken_down += outcome.taken_down
    report.templates_deleted += outcome.templates_deleted
