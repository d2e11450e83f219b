"""The password step of signing in: throttled, audited with the caller's address, equal in cost for
known and unknown emails. The view parses the form and maps the outcome to a page.

Two transactions: the attempt is counted and committed first, so parallel guesses cannot share a
slot, and only then is the (deliberately slow) password checked.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import accounts, audit
from consent_db.audit import AuditTag
from consent_db.models import Account, Device, Role, SessionStage
from gatekeeper.web.services import sessions, throttle

Transaction = Callable[[], AbstractContextManager[Session]]

WRONG = "The email or password is not right."
NO_DEVICE = ("Staff can only sign in on one of the setting's registered tablets, and this device is not "
             "registered (or its registration was revoked). Ask the Manager to pair it.")


@dataclass(frozen=True)
class Caller:
    """Where an attempt comes from: the client's address (through trusted proxies) and its tablet, if any."""

    address: str | None
    device_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """A signed-in session token (and its first stage), or a plain-words error and its HTTP status."""

    token: str | None = None
    stage: SessionStage | None = None
    error: str | None = None
    status: int = 200


def security_event(db: Session, tag: AuditTag, caller: Caller, *, account: Account | None = None,
                   at: datetime, **details) -> None:
    """One security-log entry (the audit log): whom it aimed at, from which address and tablet."""
    audit.record(db, tag, subject=f"account:{account.id}" if account is not None else None,
                 setting_id=account.setting_id if account is not None else None,
                 details={**details, "address": caller.address}, device_id=caller.device_id, at=at)


Counting = Callable[[Session], throttle.Counters]


def count(db: Session, key: str, rule: throttle.Rule, caller: Caller, *, at: datetime,
          account: Account | None = None, what: str,
          counters: Counting = throttle.DatabaseCounters) -> throttle.Counted:
    """throttle.count in counters(db), logging a lock (in db) when this attempt sets one."""
    counted = counters(db).count(key, rule, at=at)
    if counted.newly_locked:
        security_event(db, AuditTag.ACCOUNT_LOCKED, caller, account=account, at=at, what=what,
                       until=counted.locked_until.isoformat())
    return counted


def _network_lock(counters: throttle.Counters, address: str | None, *, at: datetime) -> datetime | None:
    """When guesses at unknown emails from this address (or everywhere) stop being locked, if they are."""
    ends = [counters.locked_until(key, at=at) for key in (throttle.unknown_key(address), throttle.UNKNOWN_EVERYWHERE)]
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


def _own_tablet(db: Session, account: Account, device_id: int | None) -> bool:
    """Whether the caller's tablet is registered to the account's own setting: another setting's tablet on the
    same instance is not one of this setting's tablets, whoever paired it."""
    device = db.get(Device, device_id) if device_id is not None else None
    return device is not None and not device.revoked and device.setting_id == account.setting_id


def first_stage(account: Account) -> SessionStage:
    """The sign-in step after the password: a forced password change, two-factor, or ready."""
    if account.must_change_password:
        return SessionStage.CHANGE_PASSWORD
    return after_password_stage(account)


def after_password_stage(account: Account) -> SessionStage:
    """The step after a (changed) password: two-factor (or its set-up) for Managers, else ready."""
    if account.role is Role.MANAGER:
        return SessionStage.TOTP if account.totp_secret else SessionStage.TOTP_SETUP
    return SessionStage.READY


def sign_in(transaction: Transaction, *, email: str, password: str, caller: Caller, rules: throttle.Rules,
            hasher: PasswordHasher, at: datetime, lifetime: timedelta,
            counters: Counting = throttle.DatabaseCounters) -> Outcome:
    """Check one password attempt and start a session when it is right; raises nothing for bad input."""
    pair = throttle.pair_key(email, caller.address)
    with transaction() as db:
        counted = count(db, pair, rules.pair, caller, at=at, what="sign-in", counters=counters)
        network_lock = _network_lock(counters(db), caller.address, at=at)
    if counted.locked:
        return Outcome(error=str(throttle.Throttled(throttle.minutes_left(counted.locked_until, at))), status=429)
    with transaction() as db:
        account = accounts.authenticate(db, email, password, hasher=hasher, at=at)
        if account is None:
            known = db.scalars(select(Account).where(Account.email == accounts.fold_email(email))).first()
            if known is None:
                count(db, throttle.unknown_key(caller.address), rules.unknown_address, caller, at=at,
                      what="unknown emails", counters=counters)
                count(db, throttle.UNKNOWN_EVERYWHERE, rules.unknown_everywhere, caller, at=at, what="unknown emails",
                      counters=counters)
            security_event(db, AuditTag.ACCOUNT_SIGN_IN_FAILED, caller, account=known, at=at,
                           reason="wrong email or password")
            if network_lock is not None:
                # Reads the same for known and unknown emails; the right password still signs in.
                return Outcome(error=str(throttle.Throttled(throttle.minutes_left(network_lock, at))), status=429)
            return Outcome(error=WRONG, status=401)
        if account.role is Role.STAFF and not _own_tablet(db, account, caller.device_id):
            security_event(db, AuditTag.ACCOUNT_SIGN_IN_FAILED, caller, account=account, at=at,
                           reason="not a registered device")
            return Outcome(error=NO_DEVICE, status=403)
        counters(db).clear(pair)
        stage = first_stage(account)
        token = sessions.start(db, account, stage=stage, device_id=caller.device_id, at=at, lifetime=lifetime)
        audit.record(db, AuditTag.ACCOUNT_SIGNED_IN, subject=f"account:{account.id}", setting_id=account.setting_id,
                     details={"stage": stage.value, "address": caller.address}, actor_account_id=account.id,
                     device_id=caller.device_id, at=at)
        return Outcome(token=token, stage=stage, status=302)
