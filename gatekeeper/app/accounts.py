"""The Manager's accounts: who can sign in, invitations (made and cancelled), disabling, password resets.

Sending the invitation or telling the owner of a reset is the adapter's part (it knows the public
address and the mail server); these use cases change the records, in one unit of work each.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from consent_db import account_admin, invitations, records, recovery
from consent_db.models import Account, Guardian, Invitation, Person, PersonKind
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork


@dataclass(frozen=True)
class AccountsOverview:
    """The setting's accounts, who could still be invited, and the invitations not yet used."""

    accounts: list[Account]
    staff_without_account: list[Person]
    guardians_without_account: list[Guardian]
    waiting: list[Invitation]


@dataclass(frozen=True)
class Invited:
    """A new invitation: the address it is for and its token (for the link; shown or sent once)."""

    email: str
    token: str


def overview(uow: UnitOfWork, principal: Principal) -> AccountsOverview:
    """Everything the accounts page shows; raises PolicyError."""
    policy.require(principal, Action.ACCOUNTS_MANAGE)
    setting_id = principal.setting_id
    with uow:
        db = uow.session
        rows = account_admin.list_accounts(db, setting_id=setting_id)
        linked_people = {a.person_id for a in rows if a.person_id}
        linked_guardians = {a.guardian_id for a in rows if a.guardian_id}
        staff = [p for p in records.list_people(db, setting_id=setting_id, kind=PersonKind.STAFF)
                 if p.id not in linked_people]
        guardians = [g for g in db.scalars(select(Guardian).where(Guardian.setting_id == setting_id)
                                           .order_by(Guardian.name)) if g.id not in linked_guardians]
        waiting = invitations.pending(db, setting_id=setting_id, at=uow.at)
        return AccountsOverview(rows, staff, guardians, waiting)


def invite(uow: UnitOfWork, principal: Principal, *, role: str, email: str = "", person_id: int | None = None,
           guardian_id: int | None = None, lifetime: timedelta) -> Invited:
    """Invite someone of the setting to make an account; raises PolicyError, InvitationError,
    accounts.AccountError or records.RecordsError (nothing is kept then)."""
    policy.require(principal, Action.ACCOUNTS_MANAGE)
    with uow:
        row, token = invitations.invite(uow.session, setting_id=principal.setting_id, role=role, email=email,
                                        person_id=person_id, guardian_id=guardian_id, actor=principal.actor,
                                        at=uow.at, lifetime=lifetime)
        return Invited(row.email, token)


def cancel_invitation(uow: UnitOfWork, principal: Principal, invitation_id: int) -> str:
    """Cancel an unused invitation (its link stops working); returns its email. Raises InvitationError."""
    policy.require(principal, Action.ACCOUNTS_MANAGE)
    with uow:
        return invitations.cancel(uow.session, invitation_id, setting_id=principal.setting_id,
                                  actor=principal.actor, at=uow.at).email


def disable(uow: UnitOfWork, principal: Principal, account_id: int) -> str:
    """Stop an account signing in and end its sessions; returns its email. Raises AccountAdminError."""
    policy.require(principal, Action.ACCOUNTS_MANAGE)
    with uow:
        return account_admin.disable(uow.session, account_id, setting_id=principal.setting_id,
                                     actor=principal.actor, at=uow.at).email


def enable(uow: UnitOfWork, principal: Principal, account_id: int) -> str:
    """Let a disabled account sign in again; returns its email. Raises AccountAdminError."""
    policy.require(principal, Action.ACCOUNTS_MANAGE)
    with uow:
        return account_admin.enable(uow.session, account_id, setting_id=principal.setting_id,
                                    actor=principal.actor, at=uow.at).email


def reset_password(uow: UnitOfWork, principal: Principal, account_id: int, *,
                   hasher: PasswordHasher) -> tuple[str, str]:
    """A one-time password for a staff member's or parent's account (their sessions end); returns
    (email, password) to show once. Raises RecoveryError."""
    policy.require(principal, Action.ACCOUNTS_MANAGE)
    with uow:
        account, password = recovery.manager_resets(uow.session, account_id, setting_id=principal.setting_id,
                                                    actor=principal.actor, at=uow.at, hasher=hasher)
        return account.email, password
