"""The outbox: consequences of a change (a takedown, a template purge) written in the change's own transaction."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime


class OutboxRow(Base):
    """One event to carry out at or after due_at; done_at is set once a handler has finished it.

    A drainer claims a row by writing its claim_token and a lease (claimed_until); a row whose
    lease has run out is claimable again, so a worker killed mid-handler loses nothing.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # Rows sharing a key are one schedule (say, a person's leaving date): a new row supersedes the pending one.
    key: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (sa.Index("ix_outbox_pending", "done_at", "due_at"),)
