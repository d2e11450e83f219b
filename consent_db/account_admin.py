"""The Manager's account list, disabling an account (its sessions end at once) and enabling it again."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import accounts, audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Account, Role


class AccountAdminError(Exception):
    """The account cannot be changed as asked; the message is one plain sentence."""


def list_accounts(session: Session, *, setting_id: int) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.setting_id == setting_id).order_by(Account.role, Account.email)))


def _account_of(session: Session, account_id: int, setting_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.setting_id != setting_id:
        raise AccountAdminError(f"There is no account {account_id}.")
    return account


def disable(session: Session, account_id: int, *, setting_id: int, actor: Actor, at: datetime) -> Account:
    """Stop an account signing in and end its sessions; raises AccountAdminError."""
    account = _account_of(session, account_id, setting_id)
    if account.id == actor.account_id:
        raise AccountAdminError("You cannot disable your own account.")
    if account.disabled:
        return account
    if account.role is Role.MANAGER and accounts.manager_count(session, setting_id, enabled_only=True) <= 1:
        raise AccountAdminError("This is the last Manager account: invite another Manager first.")
    account.disabled = True
    accounts.end_sessions(session, at=at, account_id=account.id)
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_DISABLED, subject=f"account:{account.id}", setting_id=setting_id,
                 details={"role": account.role.value}, at=at, **actor.fields())
    return account


def disable_staff_of(session: Session, person_id: int, *, setting_id: int, actor: Actor,
                     at: datetime) -> list[Account]:
    """Disable the staff accounts of a person who has left (their sessions end); returns them."""
    found = session.scalars(select(Account).where(Account.setting_id == setting_id, Account.person_id == person_id,
                                                  Account.role == Role.STAFF, Account.disabled.is_(False))).all()
    return [disable(session, account.id, setting_id=setting_id, actor=actor, at=at) for account in found]


def enable(session: Session, account_id: int, *, setting_id: int, actor: Actor, at: datetime) -> Account:
    """Let a disabled account sign in again with its own password and two-factor; raises AccountAdminError.

    A disabled account's email stays taken, so without this a mistaken disable (or archiving a staff
    member who then comes back) would shut its owner out for good.
    """
    account = _account_of(session, account_id, setting_id)
    if not account.disabled:
        raise AccountAdminError(f"{account.email} is not disabled.")
    account.disabled = False
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_ENABLED, subject=f"account:{account.id}", setting_id=setting_id,
                 details={"role": account.role.value}, at=at, **actor.fields())
    return account
