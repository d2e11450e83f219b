"""Sign-in accounts: Argon2id password hashes, roles, and the first Manager made by `init`.

authenticate() writes no audit event: the web layer knows the address and device, so it records
account:signed-in / account:sign-in-failed itself (and throttles).
"""
from __future__ import annotations

import functools
import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import SYSTEM, Actor, AuditTag
from consent_db.models import Account, PersonKind, Role
from consent_db.records import EMAIL_RE, get_guardian, get_person
from consent_db.timeutil import now, utc

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024


class AccountError(Exception):
    """An account cannot be made or changed as asked; nothing was changed."""


class DuplicateAccount(AccountError):
    """Another account already signs in with that email."""


class WeakPassword(AccountError):
    """The password is too short, too long or blank."""


class InvalidAccount(AccountError):
    """The role and the linked person or guardian do not fit together."""


def default_hasher() -> PasswordHasher:
    """argon2-cffi's Argon2id with its current recommended parameters."""
    return PasswordHasher()


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    """Lower-case and trimmed; raises InvalidAccount when it is not an email address."""
    clean = (email or "").strip().lower()
    if not EMAIL_RE.match(clean) or len(clean) > 320:
        raise InvalidAccount(f"{email!r} is not an email address")
    return clean


def check_password(password: str) -> None:
    """Raises WeakPassword unless the password is acceptable."""
    if not password or not password.strip() or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")


def _check_links(session: Session, setting_id: int, role: Role, person_id: int | None, guardian_id: int | None) -> None:
    if role is Role.PARENT:
        if guardian_id is None or person_id is not None:
            raise InvalidAccount("a parent account is linked to a guardian and to no staff member")
        get_guardian(session, guardian_id, setting_id=setting_id)
        return
    if guardian_id is not None:
        raise InvalidAccount(f"a {role.value} account cannot be linked to a guardian")
    if role is Role.STAFF and person_id is None:
        raise InvalidAccount("a staff account must be linked to a staff member")
    if person_id is not None and get_person(session, person_id, setting_id=setting_id).kind is not PersonKind.STAFF:
        raise InvalidAccount(f"person {person_id} is a child, not a staff member")


def create_account(
    session: Session, *, setting_id: int, email: str, password: str, role: Role | str,
    person_id: int | None = None, guardian_id: int | None = None, must_change_password: bool = False,
    actor: Actor = SYSTEM, at: datetime | None = None, hasher: PasswordHasher | None = None,
) -> Account:
    """Create an account; raises AccountError (or records.UnknownRecord for a bad link)."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidAccount(f"role {role!r} is not one of: manager, staff, parent") from None
    email = normalise_email(email)
    check_password(password)
    _check_links(session, setting_id, role, person_id, guardian_id)
    if session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise DuplicateAccount(f"an account for {email} already exists")
    account = Account(
        setting_id=setting_id, email=email, password_hash=(hasher or default_hasher()).hash(password), role=role,
        person_id=person_id, guardian_id=guardian_id, must_change_password=must_change_password,
        disabled=False, created_at=utc(at or now()),
    )
    session.add(account)
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_CREATED, subject=f"account:{account.id}", setting_id=setting_id,
                 details={"role": role.value}, at=at, **actor.fields())
    return account


def authenticate(
    session: Session, email: str, password: str, *, hasher: PasswordHasher | None = None, at: datetime | None = None
) -> Account | None:
    """The enabled account with this email and password, else None; takes about as long either way."""
    hasher = hasher or default_hasher()
    clean = (email or "").strip().lower()
    account = session.scalars(select(Account).where(Account.email == clean)).first()
    stored = account.password_hash if account is not None else _dummy_hash(hasher)
    try:
        hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if account is None or account.disabled:
        return None
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    account.last_sign_in_at = utc(at or now())
    session.flush()
    return account


def set_password(
    session: Session, account_id: int, new_password: str, *, actor: Actor, must_change: bool = False,
    at: datetime | None = None, hasher: PasswordHasher | None = None,
) -> Account:
    """Replace the password (clearing must_change_password unless asked); raises AccountError."""
    account = session.get(Account, account_id)
    if account is None:
        raise InvalidAccount(f"there is no account {account_id}")
    check_password(new_password)
    account.password_hash = (hasher or default_hasher()).hash(new_password)
    account.must_change_password = must_change
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_PASSWORD_CHANGED, subject=f"account:{account.id}",
                 setting_id=account.setting_id, details={"must_change": must_change}, at=at, **actor.fields())
    return account


def manager_count(session: Session, setting_id: int, *, enabled_only: bool = False) -> int:
    """How many Manager accounts the setting has."""
    query = select(func.count()).select_from(Account).where(
        Account.setting_id == setting_id, Account.role == Role.MANAGER
    )
    if enabled_only:
        query = query.where(Account.disabled.is_(False))
    return session.scalar(query)


def create_first_manager(session: Session, *, email: str, setting_id: int, at: datetime | None = None) -> str | None:
    """A Manager with a fresh one-time password (returned, to show once); None if the setting has one."""
    # Locked before counting, so two `init`s at once cannot both count none and both make a Manager.
    audit.lock_chain(session)
    if manager_count(session, setting_id):
        return None
    password = secrets.token_urlsafe(12)
    create_account(session, setting_id=setting_id, email=email, password=password, role=Role.MANAGER,
                   must_change_password=True, actor=audit.CLI, at=at)
    return password
