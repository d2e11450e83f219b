"""One-time invitation links: the Manager invites a staff member or a parent, who sets a password.

No account exists until the link is used; only the token's SHA-256 is stored, and it works once.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import accounts, audit, records
from consent_db.audit import Actor, AuditTag
from consent_db.models import Account, Invitation, PersonKind, Role
from consent_db.timeutil import utc

INVITED = Actor(label="invitation link")


class InvitationError(Exception):
    """An invitation cannot be made or used as asked; the message is one plain sentence."""


class InvalidInvitation(InvitationError):
    """The link is unknown, used or expired (deliberately not saying which)."""


def _digest(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def _target(session: Session, setting_id: int, role: Role, person_id: int | None, guardian_id: int | None,
            email: str) -> tuple[str, int | None, int | None]:
    if role is Role.PARENT:
        if guardian_id is None:
            raise InvitationError("Choose the parent or carer to invite.")
        guardian = records.get_guardian(session, guardian_id, setting_id=setting_id)
        return guardian.email, None, guardian.id
    if role is Role.STAFF:
        if person_id is None:
            raise InvitationError("Choose the staff member to invite.")
        person = records.get_person(session, person_id, setting_id=setting_id)
        if person.kind is not PersonKind.STAFF:
            raise InvitationError(f"{person.full_name} is a child, not a staff member.")
        return accounts.normalise_email(email), person.id, None
    return accounts.normalise_email(email), None, None


def invite(session: Session, *, setting_id: int, role: Role | str, email: str = "", person_id: int | None = None,
           guardian_id: int | None = None, actor: Actor, at: datetime, lifetime: timedelta) -> tuple[Invitation, str]:
    """A fresh invitation and its token (for the link, shown once); raises InvitationError,
    accounts.AccountError or records.UnknownRecord."""
    try:
        role = Role(role)
    except ValueError:
        raise InvitationError(f"{role!r} is not a kind of account: choose staff, parent or manager.") from None
    address, person_id, guardian_id = _target(session, setting_id, role, person_id, guardian_id, email)
    if session.scalar(select(Account.id).where(Account.email == address)) is not None:
        raise accounts.DuplicateAccount(f"An account for {address} already exists.")
    token = secrets.token_urlsafe(32)
    row = Invitation(setting_id=setting_id, token_hash=_digest(token), role=role, email=address,
                     person_id=person_id, guardian_id=guardian_id, created_by_account_id=actor.account_id,
                     created_at=utc(at), expires_at=utc(at) + lifetime)
    session.add(row)
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_INVITED, subject=f"invitation:{row.id}", setting_id=setting_id,
                 details={"role": role.value, "person_id": person_id, "guardian_id": guardian_id,
                          "expires": row.expires_at.isoformat()}, at=at, **actor.fields())
    return row, token


def open_invitation(session: Session, token: str, *, at: datetime) -> Invitation:
    """The unused, unexpired invitation for a token; raises InvalidInvitation."""
    row = session.scalars(select(Invitation).where(Invitation.token_hash == _digest(token))).first()
    if row is None or row.used_at is not None or row.cancelled_at is not None or utc(at) >= row.expires_at:
        raise InvalidInvitation("This invitation link does not work any more: it was used already or has expired. "
                                "Ask the Manager for a new one.")
    return row


def accept(session: Session, token: str, password: str, *, at: datetime, hasher: PasswordHasher) -> Account:
    """Create the invited account with this password; raises InvalidInvitation or accounts.AccountError."""
    row = open_invitation(session, token, at=at)
    account = accounts.create_account(
        session, setting_id=row.setting_id, email=row.email, password=password, role=row.role,
        person_id=row.person_id, guardian_id=row.guardian_id, actor=INVITED, at=at, hasher=hasher,
    )
    row.used_at, row.account_id = utc(at), account.id
    session.flush()
    return account


def pending(session: Session, *, setting_id: int, at: datetime) -> list[Invitation]:
    """Invitations not used yet and not expired, newest first."""
    query = select(Invitation).where(Invitation.setting_id == setting_id, Invitation.used_at.is_(None),
                                     Invitation.cancelled_at.is_(None), Invitation.expires_at > utc(at))
    return list(session.scalars(query.order_by(Invitation.id.desc())))


def cancel(session: Session, invitation_id: int, *, setting_id: int, actor: Actor, at: datetime) -> Invitation:
    """Make an unused invitation's link stop working; raises InvitationError."""
    row = session.get(Invitation, invitation_id, with_for_update=True)
    if row is None or row.setting_id != setting_id:
        raise InvitationError(f"There is no invitation {invitation_id}.")
    if row.used_at is not None:
        raise InvitationError(f"The invitation for {row.email} was used already: disable the account instead.")
    if row.cancelled_at is None:
        row.cancelled_at = utc(at)
        session.flush()
        audit.record(session, AuditTag.ACCOUNT_INVITATION_CANCELLED, subject=f"invitation:{row.id}",
                     setting_id=setting_id, details={"role": row.role.value}, at=at, **actor.fields())
    return row
