"""Writing, claiming and finishing outbox rows, safely with several drainers on SQLite or PostgreSQL.

A claim marks rows that are pending, due and not under a live lease with the drainer's token. On
PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so two drainers never wait on, nor take,
the same row; on SQLite writers are serialised and the update re-checks the lease, so a row is handed
out once there too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consent_db.models import OutboxRow
from consent_db.timeutil import utc

MAX_RETRY_DELAY = timedelta(hours=1)
FIRST_RETRY_DELAY = timedelta(seconds=5)
SUPERSEDED = "superseded by a later schedule"


@dataclass(frozen=True)
class ClaimedRow:
    """A row handed to one drainer; finish it with complete() or fail() and the same token."""

    id: int
    setting_id: int
    kind: str
    payload: dict
    attempts: int


def add(session: Session, *, setting_id: int, kind: str, payload: dict[str, Any], at: datetime,
        due_at: datetime | None = None, key: str | None = None) -> OutboxRow:
    """Write one row in the caller's transaction; a key supersedes that key's pending rows."""
    at = utc(at)
    if key is not None:
        session.execute(update(OutboxRow).where(OutboxRow.key == key, OutboxRow.done_at.is_(None))
                        .values(done_at=at, last_error=SUPERSEDED))
    row = OutboxRow(setting_id=setting_id, kind=kind, payload=payload, key=key, due_at=utc(due_at or at),
                    created_at=at, attempts=0)
    session.add(row)
    session.flush()
    return row


def cancel(session: Session, key: str, *, at: datetime) -> int:
    """Close the pending rows of a schedule (say, a leaving date cleared); returns how many."""
    result = session.execute(update(OutboxRow).where(OutboxRow.key == key, OutboxRow.done_at.is_(None))
                             .values(done_at=utc(at), last_error=SUPERSEDED))
    return result.rowcount


def claim(session: Session, *, token: str, at: datetime, lease: timedelta, limit: int) -> list[ClaimedRow]:
    """Claim up to limit due rows for this token, oldest due first; commit before handling them."""
    at = utc(at)
    claimable = (OutboxRow.done_at.is_(None)) & (OutboxRow.due_at <= at) & (
        OutboxRow.claimed_until.is_(None) | (OutboxRow.claimed_until < at))
    # Picked first, then updated: one UPDATE over a LIMIT ... SKIP LOCKED sub-select may run the
    # sub-select more than once on PostgreSQL and so take more than `limit` rows.
    candidates = list(session.scalars(select(OutboxRow.id).where(claimable).order_by(OutboxRow.due_at, OutboxRow.id)
                                      .limit(limit).with_for_update(skip_locked=True)))
    if not candidates:
        return []
    # The condition is checked again in the update: on SQLite the pick takes no lock, so a row another
    # drainer claimed in between is left alone here.
    session.execute(update(OutboxRow).where(OutboxRow.id.in_(candidates), claimable)
                    .values(claim_token=token, claimed_until=at + lease, attempts=OutboxRow.attempts + 1)
                    .execution_options(synchronize_session=False))
    rows = session.execute(select(OutboxRow.id, OutboxRow.setting_id, OutboxRow.kind, OutboxRow.payload,
                                  OutboxRow.attempts)
                           .where(OutboxRow.claim_token == token, OutboxRow.done_at.is_(None))
                           .order_by(OutboxRow.due_at, OutboxRow.id)).all()
    return [ClaimedRow(*row) for row in rows]


def complete(session: Session, row_id: int, *, token: str, at: datetime) -> bool:
    """Mark a claimed row done; False when the claim was lost (its lease ran out and another took it)."""
    result = session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.claim_token == token)
                             .values(done_at=utc(at), claim_token=None, claimed_until=None, last_error=None))
    return result.rowcount == 1


def retry_delay(attempts: int) -> timedelta:
    """Backoff after a failed attempt: 5 s, doubling, at most an hour. Rows are never dropped."""
    return min(FIRST_RETRY_DELAY * (2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def fail(session: Session, row_id: int, *, token: str, error: str, attempts: int, at: datetime) -> bool:
    """Give a claimed row back with its error, due again after the backoff."""
    at = utc(at)
    result = session.execute(update(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.claim_token == token)
                             .values(claim_token=None, claimed_until=None, last_error=error[:2000],
                                     due_at=at + retry_delay(attempts)))
    return result.rowcount == 1


def pending(session: Session, *, setting_id: int, due_by: datetime | None = None) -> int:
    """How many of the setting's rows are not done (and due by a moment, when given)."""
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.setting_id == setting_id,
                                                               OutboxRow.done_at.is_(None))
    if due_by is not None:
        query = query.where(OutboxRow.due_at <= utc(due_by))
    return session.scalar(query)
