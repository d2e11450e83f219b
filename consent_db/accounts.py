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
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import SYSTEM, Actor, AuditTag
from consent_db import password_policy
from consent_db.models import Account, Guardian, Person, PersonKind, Role, WebSession
from consent_db.records import EMAIL_RE, get_guardian, get_person
from consent_db.timeutil import now, utc

MIN_PASSWORD_LENGTH = password_policy.MIN_LENGTH
MAX_PASSWORD_LENGTH = password_policy.MAX_LENGTH


class AccountError(Exception):
    """An account cannot be made or changed as asked; nothing was changed."""


class DuplicateAccount(AccountError):
    """Another account already signs in with that email."""


class WeakPassword(AccountError):
    """The password is too short, too long, common, or contains the account's name or email."""


class InvalidAccount(AccountError):
    """The role and the linked person or guardian do not fit together."""


def default_hasher() -> PasswordHasher:
    """argon2-cffi's Argon2id with its current recommended parameters."""
    return PasswordHasher()


@functools.lru_cache(maxsize=8)
def _dummy_hash_for(parameters) -> str:
    time_cost, memory_cost, parallelism, hash_len, salt_len, kind = parameters
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism,
                          hash_len=hash_len, salt_len=salt_len, type=kind).hash(secrets.token_urlsafe(16))


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash made once per set of cost parameters (hashers are built per request), so checking an
    unknown email costs exactly one Argon2 run, like checking a known one."""
    return _dummy_hash_for((hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len,
                            hasher.salt_len, hasher.type))


def fold_email(email: str) -> str:
    """An email as accounts and guardians compare it: trimmed and case-folded (no validation)."""
    return (email or "").strip().casefold()


def normalise_email(email: str) -> str:
    """Trimmed and case-folded; raises InvalidAccount when it is not an email address."""
    clean = fold_email(email)
    if not EMAIL_RE.match(clean) or len(clean) > 320:
        raise InvalidAccount(f"{email!r} is not an email address")
    return clean


def check_password(password: str, *, context: tuple[str, ...] = ()) -> None:
    """Raises WeakPassword unless the password fits the policy; context: the account's email and names."""
    try:
        password_policy.check(password, context=context)
    except password_policy.PasswordRefused as exc:
        raise WeakPassword(str(exc)) from None


def password_context(session: Session, account: Account | None = None, *, email: str = "",
                     person_id: int | None = None, guardian_id: int | None = None) -> tuple[str, ...]:
    """The words a password of this account must not contain: its email and its person's or guardian's name."""
    if account is not None:
        email, person_id, guardian_id = account.email, account.person_id, account.guardian_id
    words = [email]
    guardian = session.get(Guardian, guardian_id) if guardian_id is not None else None
    person = session.get(Person, person_id) if person_id is not None else None
    if guardian is not None:
        words.append(guardian.name)
    if person is not None:
        words += [person.first_name, person.surname]
    return tuple(w for w in words if w)


def email_in_use(session: Session, email: str) -> bool:
    """Whether an account signs in with this email."""
    return session.scalar(select(Account.id).where(Account.email == fold_email(email))) is not None


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
    _check_links(session, setting_id, role, person_id, guardian_id)
    check_password(password, context=password_context(session, email=email, person_id=person_id,
                                                      guardian_id=guardian_id))
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
    clean = fold_email(email)
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
    check_password(new_password, context=password_context(session, account))
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

def change_manager_email(session: Session, setting_id: int, email: str, *, replacing: str | None = None,
                         actor: Actor = SYSTEM, at: datetime | None = None) -> Account:
    """Give a Manager account a new sign-in email (audited); with several Managers, `replacing` says whose.

    Raises InvalidAccount (bad email, no such Manager, several and none chosen) or DuplicateAccount.
    """
    new = normalise_email(email)
    query = select(Account).where(Account.setting_id == setting_id, Account.role == Role.MANAGER)
    managers = list(session.scalars(query.order_by(Account.id)))
    if replacing is not None:
        chosen = [m for m in managers if m.email == fold_email(replacing)]
        if not chosen:
            raise InvalidAccount(f"{replacing.strip()} is not a Manager account of this setting")
    elif len(managers) != 1:
        names = ", ".join(m.email for m in managers) or "none"
        raise InvalidAccount(f"the setting has {len(managers)} Manager accounts ({names}): "
                             "say whose email changes with --replacing")
    else:
        chosen = managers
    account = chosen[0]
    if account.email == new:
        return account
    if session.scalar(select(Account.id).where(Account.email == new)) is not None:
        raise DuplicateAccount(f"an account for {new} already exists")
    account.email = new
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_EMAIL_CHANGED, subject=f"account:{account.id}", setting_id=setting_id,
                 details={"role": account.role.value}, at=at, **actor.fields())
    return account


def end_sessions(session: Session, *, at: datetime, account_id: int | None = None, device_id: int | None = None,
                 keep_id: int | None = None) -> int:
    """End every live session of an account or of a device (but keep_id); returns how many."""
    query = update(WebSession).where(WebSession.ended_at.is_(None))
    if keep_id is not None:
        query = query.where(WebSession.id != keep_id)
    if account_id is not None:
        query = query.where(WebSession.account_id == account_id)
    if device_id is not None:
        query = query.where(WebSession.device_id == device_id)
    if account_id is None and device_id is None:
        raise ValueError("end_sessions needs an account or a device")
    return session.execute(query.values(ended_at=utc(at)).execution_options(synchronize_session=False)).rowcount
