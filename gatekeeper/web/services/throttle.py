"""Sign-in throttling per account and per address, counted in the database so every process agrees."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from consent_db.models import SignInThrottle
from consent_db.timeutil import utc


@dataclass(frozen=True)
class Policy:
    """How many failures a key may have within a window before it is locked for a window."""

    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)

    def limit_for(self, key: str) -> int:
        return self.account_failures if key.startswith("account:") else self.address_failures


class Throttled(Exception):
    """Too many failed sign-ins; `minutes` says how long to wait."""

    def __init__(self, minutes: int):
        super().__init__(f"Too many failed sign-ins. Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again.")
        self.minutes = minutes


def keys_for(email: str, address: str | None) -> list[str]:
    """The throttle keys of one attempt: the account (by email typed) and the address."""
    keys = [f"account:{(email or '').strip().lower()[:320]}"]
    if address:
        keys.append(f"address:{address[:64]}")
    return keys


def check(session: Session, keys: list[str], *, at: datetime) -> None:
    """Raise Throttled when any key is locked now."""
    at = utc(at)
    for key in keys:
        row = session.get(SignInThrottle, key)
        if row is not None and row.locked_until is not None and at < row.locked_until:
            raise Throttled(max(1, math.ceil((row.locked_until - at).total_seconds() / 60)))


def record_failure(session: Session, keys: list[str], policy: Policy, *, at: datetime) -> None:
    """Count one failure for each key, locking a key that reaches its limit."""
    at = utc(at)
    for key in keys:
        row = session.get(SignInThrottle, key, with_for_update=True)
        if row is None:
            row = SignInThrottle(key=key, failures=0, window_started_at=at)
            session.add(row)
        elif at - row.window_started_at >= policy.window:
            row.failures, row.window_started_at, row.locked_until = 0, at, None
        row.failures += 1
        if row.failures >= policy.limit_for(key):
            row.locked_until = at + policy.window
    session.flush()


def clear(session: Session, key: str) -> None:
    """Forget an account's failures after it signs in (the address keeps its count)."""
    row = session.get(SignInThrottle, key)
    if row is not None:
        session.delete(row)
        session.flush()
