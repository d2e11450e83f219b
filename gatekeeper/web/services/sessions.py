"""Server-side sign-in sessions: the cookie carries a random token, the database its hash and stage.

Keeping them here lets sign-out, disabling an account and revoking a tablet end a session at once,
which a signed cookie alone cannot do.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consent_db.models import Account, Device, Role, SessionStage, WebSession
from consent_db.timeutil import utc

# last_seen_at is written at most this often, so the idle timeout costs one write a minute.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """A live session, its account and (for staff on a tablet) its device."""

    web_session: WebSession
    account: Account
    device: Device | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, account: Account, *, stage: SessionStage, device_id: int | None, at: datetime,
          lifetime: timedelta) -> str:
    """A new session for the account; returns the token for the cookie (shown nowhere else)."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(token), account_id=account.id, device_id=device_id, stage=stage,
                           created_at=utc(at), last_seen_at=utc(at), expires_at=utc(at) + lifetime))
    session.flush()
    return token


def idle_limits(minutes: int) -> dict[Role, timedelta]:
    """Staff and Manager sessions end after `minutes` without a request; parents' only at expiry."""
    return {Role.MANAGER: timedelta(minutes=minutes), Role.STAFF: timedelta(minutes=minutes)}


def find(session: Session, token: str | None, *, at: datetime,
         idle: Mapping[Role, timedelta] | None = None) -> SignedIn | None:
    """The live session for a token (not ended, not expired, not idle too long, account enabled), else None.

    Ends a session found idle, and notes the time of use (at most once a minute).
    """
    if not token:
        return None
    at = utc(at)
    row = session.scalars(select(WebSession).where(WebSession.token_hash == _digest(token))).first()
    if row is None or row.ended_at is not None or at >= row.expires_at:
        return None
    account = session.get(Account, row.account_id)
    if account is None or account.disabled:
        return None
    limit = (idle or {}).get(account.role)
    if limit is not None and at - row.last_seen_at > limit:
        end(session, row, at=at)
        return None
    if at - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = at
    device = session.get(Device, row.device_id) if row.device_id is not None else None
    return SignedIn(row, account, device)


def advance(session: Session, web_session: WebSession, stage: SessionStage) -> str:
    """Move a session to its next sign-in stage under a new token; returns it for the cookie.

    A token seen before a privilege step (password, two-factor) is worth nothing after it.
    """
    web_session.stage = stage
    return rotate(session, web_session)


def rotate(session: Session, web_session: WebSession) -> str:
    """Give a live session a new token (the old one stops working); returns it for the cookie."""
    token = secrets.token_urlsafe(32)
    web_session.token_hash = _digest(token)
    session.flush()
    return token


def end(session: Session, web_session: WebSession, *, at: datetime) -> None:
    """End one session (sign-out)."""
    if web_session.ended_at is None:
        web_session.ended_at = utc(at)
        session.flush()


