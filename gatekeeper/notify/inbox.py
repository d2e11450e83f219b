"""An account's notifications: stored once per fact, listed newest first, marked read by their owner only."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consent_db.models import Notification, NotificationPreference
from gatekeeper.notify.messages import Draft


def store(session: Session, setting_id: int, drafts: Iterable[Draft], *, at: datetime) -> list[int]:
    """Write each draft unless that account already has that fact (a retried event); returns every row's id."""
    ids = []
    for draft in drafts:
        existing = session.scalars(select(Notification).where(
            Notification.account_id == draft.account_id, Notification.source_key == draft.source_key)).first()
        if existing is None:
            existing = Notification(setting_id=setting_id, account_id=draft.account_id, kind=draft.kind,
                                    source_key=draft.source_key, subject=draft.subject[:200], body=draft.body,
                                    link=draft.link, created_at=at)
            session.add(existing)
            session.flush()
        ids.append(existing.id)
    return ids


def latest(session: Session, account_id: int, *, limit: int = 50) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.account_id == account_id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def unread_count(session: Session, account_id: int) -> int:
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.account_id == account_id, Notification.read_at.is_(None))) or 0


def mark_all_read(session: Session, account_id: int, *, at: datetime) -> int:
    """Mark every unread notification of this account read; returns how many."""
    result = session.execute(update(Notification).where(
        Notification.account_id == account_id, Notification.read_at.is_(None)).values(read_at=at))
    return result.rowcount


def preference(session: Session, account_id: int) -> NotificationPreference:
    """The account's email preference, created (one email per notification) on first use."""
    row = session.get(NotificationPreference, account_id)
    if row is None:
        row = NotificationPreference(account_id=account_id, daily_digest=False)
        session.add(row)
        session.flush()
    return row


def wants_digest(session: Session, account_id: int) -> bool:
    row = session.get(NotificationPreference, account_id)
    return bool(row and row.daily_digest)
