"""The audit log: append-only rows chained by hash, and the chain head writers lock."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime


class AuditEvent(Base):
    """One event. No foreign keys: the log must outlive whatever it mentions."""

    __tablename__ = "audit_events"

    # Assigned by consent_db.audit under the chain lock: gap-free, so a deleted row shows.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    tag: Mapped[str] = mapped_column(sa.String(64), index=True)
    setting_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_account_id: Mapped[int | None] = mapped_column(sa.Integer)
    actor_label: Mapped[str | None] = mapped_column(sa.String(200))
    device_id: Mapped[int | None] = mapped_column(sa.Integer)
    subject: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    # Canonical JSON text, hashed exactly as stored.
    details: Mapped[str] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChainHead(Base):
    """A single row (id 1): the last event's id and hash. Writers lock it, so the chain never forks."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_event_id: Mapped[int] = mapped_column(sa.Integer)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
