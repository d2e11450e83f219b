"""Notifications for one account: shown in its pages, and emailed at once or in a daily digest."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from consent_db.models.base import Base, UtcDateTime


class Notification(Base):
    """One message to one account; source_key makes writing it twice (a retried event) write it once."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "source_key", name="uq_notifications_account_source"),
        sa.Index("ix_notifications_account_read", "account_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    setting_id: Mapped[int] = mapped_column(sa.ForeignKey("settings.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    source_key: Mapped[str] = mapped_column(sa.String(128))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # A path inside this service (no host): pages link it as is, emails prefix PUBLIC_URL.
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set once the email carrying it was accepted by the mail server (alone or in a digest).
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NotificationPreference(Base):
    """How an account wants its email: one message per notification (the default) or a daily digest."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    daily_digest: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
