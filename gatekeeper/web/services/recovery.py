"""A way back in: password-reset links by email, one-time passwords set by the Manager or the operator.

Reset links work once and expire; only the token's SHA-256 is kept. Every reset ends the account's
sessions and is audited. A one-time password must be changed at the next sign-in.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consent_db import accounts, audit
from consent_db.accounts import end_sessions
from consent_db.audit import Actor, AuditTag
from consent_db.models import Account, Role
from consent_db.models.signin import PasswordReset
from consent_db.timeutil import utc
from gatekeeper.web.services.mail import Mailer, send_in_background

BY_LINK = Actor(label="password-reset link")


class RecoveryError(Exception):
    """The reset cannot be done as asked; the message is one plain sentence and nothing was changed."""


class InvalidReset(RecoveryError):
    """The reset link is unknown, used or expired (deliberately not saying which)."""


def _digest(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def request_reset(session: Session, email: str, *, at: datetime, lifetime: timedelta) -> tuple[Account, str] | None:
    """A fresh reset token for the enabled account with this email (earlier ones stop working), else None.

    An unknown email is logged too, so both answers cost the same writes.
    """
    account = session.scalars(select(Account).where(Account.email == accounts.fold_email(email))).first()
    if account is None or account.disabled:
        audit.record(session, AuditTag.ACCOUNT_PASSWORD_RESET_REQUESTED, details={"known": False}, at=at,
                     **BY_LINK.fields())
        return None
    session.execute(update(PasswordReset).where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None))
                    .values(used_at=utc(at)).execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(account_id=account.id, token_hash=_digest(token), created_at=utc(at),
                              expires_at=utc(at) + lifetime))
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_PASSWORD_RESET_REQUESTED, subject=f"account:{account.id}",
                 setting_id=account.setting_id, details={"expires": (utc(at) + lifetime).isoformat()}, at=at,
                 **BY_LINK.fields())
    return account, token


def open_reset(session: Session, token: str, *, at: datetime) -> PasswordReset:
    """The unused, unexpired reset for a token; raises InvalidReset."""
    row = session.scalars(select(PasswordReset).where(PasswordReset.token_hash == _digest(token))).first()
    if row is None or row.used_at is not None or utc(at) >= row.expires_at:
        raise InvalidReset("This password-reset link does not work any more: it was used already or has expired. "
                           "Ask for a new one.")
    return row


def complete_reset(session: Session, token: str, password: str, *, at: datetime, hasher: PasswordHasher) -> Account:
    """Set the new password, use the link up and end every session; raises InvalidReset or accounts.AccountError."""
    row = open_reset(session, token, at=at)
    claimed = session.execute(update(PasswordReset).where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
                              .values(used_at=utc(at)).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise InvalidReset("This password-reset link was used already. Ask for a new one.")
    account = accounts.set_password(session, row.account_id, password, actor=BY_LINK, at=at, hasher=hasher)
    end_sessions(session, at=at, account_id=account.id)
    audit.record(session, AuditTag.ACCOUNT_PASSWORD_RESET, subject=f"account:{account.id}",
                 setting_id=account.setting_id, details={"how": "email link"}, at=at, **BY_LINK.fields())
    return account


def one_time_password(session: Session, account: Account, *, actor: Actor, at: datetime, hasher: PasswordHasher,
                      how: str) -> str:
    """Give the account a fresh one-time password (returned, to show once) and end its sessions."""
    for _ in range(5):  # a random password could, once in a blue moon, contain part of the email
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        try:
            accounts.set_password(session, account.id, password, actor=actor, must_change=True, at=at, hasher=hasher)
            break
        except accounts.WeakPassword:
            continue
    end_sessions(session, at=at, account_id=account.id)
    audit.record(session, AuditTag.ACCOUNT_PASSWORD_RESET, subject=f"account:{account.id}",
                 setting_id=account.setting_id, details={"how": how}, at=at, **actor.fields())
    return password


def manager_resets(session: Session, account_id: int, *, setting_id: int, actor: Actor, at: datetime,
                   hasher: PasswordHasher) -> tuple[Account, str]:
    """The Manager resets a staff member's or parent's password; raises RecoveryError."""
    account = session.get(Account, account_id)
    if account is None or account.setting_id != setting_id:
        raise RecoveryError(f"There is no account {account_id}.")
    if account.role is Role.MANAGER:
        raise RecoveryError("A Manager's password is reset on the server with 'gatekeeper accounts reset-password'.")
    if account.disabled:
        raise RecoveryError(f"{account.email} is disabled.")
    return account, one_time_password(session, account, actor=actor, at=at, hasher=hasher, how="by the Manager")


def find_account(session: Session, email: str) -> Account:
    """The account with this email; raises RecoveryError."""
    account = session.scalars(select(Account).where(Account.email == accounts.fold_email(email))).first()
    if account is None:
        raise RecoveryError(f"There is no account for {email.strip()}.")
    return account


CHANGED_SUBJECT = "Your {service} password was changed"


def notify_changed(sender: Mailer | None, email: str, how: str, *, service: str = "Photo Gatekeeper") -> None:
    """Tell the account's owner their password changed (ASVS 2.5.5), when email is set up; never blocks.

    service: whose service it is ("Little Acorns Photo Gatekeeper"), for the subject and body."""
    if sender is None:
        return
    send_in_background(sender, email, CHANGED_SUBJECT.format(service=service),
                       f"The password of your {service} account {email} was changed ({how}).\n\n"
                       "If it was not you, tell the Manager at once.\n")
