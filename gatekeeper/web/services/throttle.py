"""Attempt throttling counted atomically, so every process and thread agrees.

An attempt is counted *before* the password or code is checked (one INSERT .. ON CONFLICT DO UPDATE
.. RETURNING on SQLite and PostgreSQL, one Lua script on Redis: see throttle_redis), so parallel
requests cannot slip more guesses into a window than the rule allows. A key over its limit is locked for the window, and each further lock in a row
lasts twice as long (up to a day). Keys are chosen by the caller so that an attacker locks only
what it attacks: an (email, address) pair, never an account everywhere nor an address for everyone.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from consent_db.models import SignInThrottle
from consent_db.models.base import UtcDateTime
from consent_db.timeutil import utc

MAX_LOCK = timedelta(days=1)
# A key with no lock for this long starts again from the shortest lock.
FORGET_LOCKS_AFTER = timedelta(days=1)
UNKNOWN_EVERYWHERE = "unknown:*"


@dataclass(frozen=True)
class Rule:
    """At most `limit` attempts per window; then a lock of one window, doubling with each lock in a row."""

    limit: int
    window: timedelta = timedelta(minutes=15)

    def lock_for(self, lockouts: int) -> timedelta:
        return min(self.window * (2 ** min(lockouts, 16)), MAX_LOCK)


class Throttled(Exception):
    """Too many attempts; `minutes` says how long to wait."""

    def __init__(self, minutes: int, what: str = "failed sign-ins"):
        super().__init__(f"Too many {what}. Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again.")
        self.minutes = minutes


class CountersUnavailable(Exception):
    """The attempt counter cannot be reached; the attempt must not go on unchecked."""


@dataclass(frozen=True)
class Counted:
    """A key's state after counting one attempt: `locked` says whether this attempt was refused."""

    key: str
    attempts: int
    locked_until: datetime | None
    newly_locked: bool

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


def normalise(email: str) -> str:
    """An email as the throttle (and the accounts) compare it: trimmed and case-folded."""
    return (email or "").strip().casefold()[:320]


def pair_key(email: str, address: str | None, kind: str = "pair") -> str:
    """The key of one typed email from one address: what a password guess (or a reset request) counts against."""
    return f"{kind}:{normalise(email)}|{(address or '-')[:64]}"


def unknown_key(address: str | None) -> str:
    """The key counting guesses at emails no account has, from one address."""
    return f"unknown:{(address or '-')[:64]}"


class Counters(ABC):
    """Where attempts are counted. Every method is atomic on its own across processes."""

    @abstractmethod
    def count(self, key: str, rule: Rule, *, at: datetime) -> Counted:
        """Count one attempt for key (nothing counted while it is locked); lock it when over the limit."""

    @abstractmethod
    def locked_until(self, key: str, *, at: datetime) -> datetime | None:
        """When the key's lock ends, or None when it is not locked now (nothing counted)."""

    @abstractmethod
    def clear(self, key: str) -> None:
        """Forget a key's attempts and locks (after the right password or code)."""


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _minutes(until: datetime, at: datetime) -> int:
    return max(1, math.ceil((until - at).total_seconds() / 60))


class DatabaseCounters(Counters):
    """Counts in the sign_in_throttle table, inside the caller's transaction (committed by the caller)."""

    def __init__(self, session: Session):
        self.session = session

    def count(self, key: str, rule: Rule, *, at: datetime) -> Counted:
        session = self.session
        at = utc(at)
        c = SignInThrottle.__table__.c
        moment = sa.literal(at, UtcDateTime)
        locked_now = sa.and_(c.locked_until.is_not(None), c.locked_until > moment)
        window_over = c.window_started_at <= sa.literal(at - rule.window, UtcDateTime)
        stale_locks = sa.and_(c.locked_until.is_not(None),
                              c.locked_until <= sa.literal(at - FORGET_LOCKS_AFTER, UtcDateTime))
        statement = _insert(session)(SignInThrottle.__table__).values(
            key=key, failures=1, window_started_at=at, locked_until=None, lockouts=0)
        statement = statement.on_conflict_do_update(index_elements=[c.key], set_={
            "failures": sa.case((locked_now, c.failures), (window_over, 1), else_=c.failures + 1),
            "window_started_at": sa.case((locked_now, c.window_started_at), (window_over, moment),
                                         else_=c.window_started_at),
            "lockouts": sa.case((stale_locks, 0), else_=c.lockouts),
        }).returning(c.failures, c.locked_until, c.lockouts)
        attempts, locked_until, lockouts = session.execute(statement).one()
        if locked_until is not None and locked_until > at:
            return Counted(key, attempts, locked_until, False)
        if attempts <= rule.limit:
            return Counted(key, attempts, None, False)
        # The row stays locked by the upsert until commit, so only this transaction sets the lock.
        until = at + rule.lock_for(lockouts)
        session.execute(sa.update(SignInThrottle).where(c.key == key).values(
            locked_until=until, lockouts=c.lockouts + 1, failures=0, window_started_at=at))
        return Counted(key, attempts, until, True)

    def locked_until(self, key: str, *, at: datetime) -> datetime | None:
        until = self.session.scalar(sa.select(SignInThrottle.locked_until).where(SignInThrottle.key == key))
        return until if until is not None and until > utc(at) else None

    def clear(self, key: str) -> None:
        self.session.execute(sa.delete(SignInThrottle).where(SignInThrottle.key == key))


def _counters(where: Session | Counters) -> Counters:
    return where if isinstance(where, Counters) else DatabaseCounters(where)


def counters_for(config: Mapping[str, Any], session: Session) -> Counters:
    """The counters THROTTLE_URL names: empty for the database (through session), redis://… for Redis.

    Raises ConfigError for any other scheme (checked at start-up by check_config).
    """
    url = str(config.get("THROTTLE_URL") or "")
    if not url:
        return DatabaseCounters(session)
    from gatekeeper.web.services import throttle_redis
    return throttle_redis.counters(url, throttle_redis.prefix_for(str(config["SECRET_KEY"])))


def check_config(config: Mapping[str, Any]) -> None:
    """Raises ConfigError when THROTTLE_URL is neither empty nor a redis:// or rediss:// URL."""
    from gatekeeper.config import ConfigError
    url = str(config.get("THROTTLE_URL") or "")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"THROTTLE_URL: expected empty (the database) or a redis:// URL, got {url.split('@')[-1]!r}")


def count(where: Session | Counters, key: str, rule: Rule, *, at: datetime) -> Counted:
    """Count one attempt for key (nothing counted while it is locked); lock it when over the limit."""
    return _counters(where).count(key, rule, at=at)


def attempt(where: Session | Counters, key: str, rule: Rule, *, at: datetime,
            what: str = "failed sign-ins") -> Counted:
    """Count one attempt; raises Throttled (after counting) when the key is or becomes locked."""
    counted = count(where, key, rule, at=at)
    if counted.locked:
        raise Throttled(_minutes(counted.locked_until, utc(at)), what)
    return counted


def locked_until(where: Session | Counters, key: str, *, at: datetime) -> datetime | None:
    """When the key's lock ends, or None when it is not locked now (nothing counted)."""
    return _counters(where).locked_until(key, at=at)


def clear(where: Session | Counters, key: str) -> None:
    """Forget a key's attempts and locks (after the right password or code)."""
    _counters(where).clear(key)


def minutes_left(until: datetime, at: datetime) -> int:
    """Whole minutes (at least one) until a lock ends."""
    return _minutes(until, utc(at))


@dataclass(frozen=True)
class Rules:
    """The rules the sign-in, two-factor and pairing pages count by."""

    pair: Rule             # one typed email from one address
    unknown_address: Rule  # emails no account has, from one address
    unknown_everywhere: Rule  # emails no account has, from anywhere
    two_factor: Rule       # codes for one account (its password is already known)
    pairing: Rule          # tablet pairing codes from one address


def rules_from(config) -> Rules:
    """The rules named by THROTTLE_* settings."""
    window = timedelta(minutes=int(config["THROTTLE_WINDOW_MINUTES"]))
    per_pair = int(config["THROTTLE_ACCOUNT_FAILURES"])
    per_address = int(config["THROTTLE_ADDRESS_FAILURES"])
    return Rules(pair=Rule(per_pair, window), unknown_address=Rule(per_address, window),
                 unknown_everywhere=Rule(int(config["THROTTLE_UNKNOWN_FAILURES"]), window),
                 two_factor=Rule(per_pair, window), pairing=Rule(per_address, window))
