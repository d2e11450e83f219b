"""Emailing stored notifications: each once, marked as soon as the mail server accepted it; a daily
digest for accounts that chose one. A failure leaves the rest unmarked for the next try."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from consent_db.models import Account, Notification, NotificationPreference
from gatekeeper.notify.mailer import Mailer, MailError

log = logging.getLogger(__name__)
DIGEST_EVERY = timedelta(days=1)
FOOTER = "\n\nYou get this because you have a Photo Gatekeeper account; sign in to see every notification."


@dataclass
class Sent:
    emailed: int = 0
    errors: list[str] = field(default_factory=list)


def _link(public_url: str, path: str | None) -> str:
    if not path:
        return ""
    base = public_url.strip().rstrip("/")
    return f"\n\n{base}{path}" if base else f"\n\nSign in and open {path}"


def send_now(sessions: sessionmaker, mailer: Mailer | None, ids: Iterable[int], *, public_url: str,
             at: datetime) -> Sent:
    """Email each of these notifications not emailed yet, unless its account wants a digest.

    Raises MailError after trying all of them when any failed (the caller retries; sent ones stay sent).
    """
    sent = Sent()
    if mailer is None:
        return sent
    with sessions() as session:
        rows = session.execute(
            select(Notification.id, Account.email, Notification.subject, Notification.body, Notification.link)
            .join(Account, Account.id == Notification.account_id)
            .outerjoin(NotificationPreference, NotificationPreference.account_id == Account.id)
            .where(Notification.id.in_(list(ids)), Notification.emailed_at.is_(None), Account.disabled.is_(False),
                   (NotificationPreference.daily_digest.is_(None)) | (NotificationPreference.daily_digest.is_(False)))
            .order_by(Notification.id)).all()
    for notification_id, email, subject, body, link in rows:
        try:
            mailer.send(email, subject, body + _link(public_url, link) + FOOTER)
        except MailError as exc:
            sent.errors.append(str(exc))
            continue
        with sessions.begin() as session:
            session.get(Notification, notification_id).emailed_at = at
        sent.emailed += 1
    if sent.errors:
        raise MailError(f"{len(sent.errors)} notification email(s) not sent: {sent.errors[0]}")
    return sent


def send_digests(sessions: sessionmaker, mailer: Mailer | None, *, public_url: str, at: datetime) -> Sent:
    """One email per digest account whose last digest is a day old, listing what it was not yet emailed.

    Failures are logged and counted; the notifications stay unmarked for the next run.
    """
    sent = Sent()
    if mailer is None:
        return sent
    with sessions() as session:
        due = session.execute(
            select(Account.id, Account.email).join(NotificationPreference, NotificationPreference.account_id == Account.id)
            .where(NotificationPreference.daily_digest.is_(True), Account.disabled.is_(False),
                   (NotificationPreference.digest_sent_at.is_(None))
                   | (NotificationPreference.digest_sent_at <= at - DIGEST_EVERY))).all()
    for account_id, email in due:
        with sessions() as session:
            waiting = list(session.scalars(select(Notification).where(
                Notification.account_id == account_id, Notification.emailed_at.is_(None))
                .order_by(Notification.created_at, Notification.id)))
            if not waiting:
                continue
            lines = [f"- {n.subject}{_link(public_url, n.link).replace(chr(10) * 2, ' ')}" for n in waiting]
            ids = [n.id for n in waiting]
        subject = f"Photo Gatekeeper: {len(ids)} notification{'s' if len(ids) != 1 else ''} today"
        try:
            mailer.send(email, subject, "Since your last summary:\n\n" + "\n".join(lines) + FOOTER)
        except MailError as exc:
            log.warning("daily digest for account %s not sent: %s", account_id, exc)
            sent.errors.append(str(exc))
            continue
        with sessions.begin() as session:
            for notification in session.scalars(select(Notification).where(Notification.id.in_(ids))):
                notification.emailed_at = at
            session.get(NotificationPreference, account_id).digest_sent_at = at
        sent.emailed += 1
    return sent
