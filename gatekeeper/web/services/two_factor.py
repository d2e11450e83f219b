"""TOTP two-factor sign-in for Manager accounts (pyotp), the secret sealed at rest with the data key."""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timezone

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Account, WebSession
from consent_db.models.signin import RecoveryCode
from consent_db.sealing import SealError, seal, unseal
from consent_db.timeutil import utc
from consent_db.totp_secrets import TotpSecretError, open_secret, seal_secret

ISSUER = "Photo Gatekeeper"
CODE_RE = re.compile(r"^\d{6}$")
RECOVERY_CODES = 10
# 16 characters from 31: about 79 random bits, kept as a SHA-256 with a random 32-bit salt of its own
# (ASVS 2.6.2), so a copied table gives nothing to look up.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16


class TwoFactorError(Exception):
    """The code is wrong or the stored secret cannot be read; the message is one plain sentence."""


def new_secret() -> str:
    """A fresh 160-bit base32 secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app takes (scanned as a QR code, pasted, or typed as the key)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return "".join((code or "").split())


def matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The 30-second step whose code this is (one step of clock drift allowed), or None."""
    code = _clean(code)
    if not CODE_RE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at or datetime.now(timezone.utc))
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_matches(secret: str, code: str) -> bool:
    """Whether a 6-digit code fits the secret now (one step of clock drift allowed)."""
    return matching_step(secret, code) is not None


def enrol(session: Session, account: Account, secret: str, code: str, *, data_key: bytes, actor: Actor) -> None:
    """Store the secret once a code from it is typed back (that code is used up); raises TwoFactorError."""
    step = matching_step(secret, code)
    if step is None:
        raise TwoFactorError("That code does not match. Check the key was typed exactly and the device clock is right.")
    account.totp_secret = seal_secret(data_key, account.id, secret)
    # The code typed to set up was seen (over a shoulder, in a form): it must not also sign in.
    account.totp_last_step = step
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_TWO_FACTOR_ENROLLED, subject=f"account:{account.id}",
                 setting_id=account.setting_id, details={}, **actor.fields())


def verify(session: Session, account_id: int, code: str, *, data_key: bytes, at: datetime | None = None) -> None:
    """Check a sign-in code and use it up, so it cannot sign in twice; raises TwoFactorError."""
    account = session.get(Account, account_id, with_for_update=True)
    try:
        secret = open_secret(data_key, account.id, account.totp_secret)
    except TotpSecretError:
        raise TwoFactorError("The two-factor key of this account cannot be read; ask the operator to reset it.") from None
    step = matching_step(secret, code, at)
    if step is None:
        raise TwoFactorError("That code is not right. Type the 6-digit code your authenticator app shows now.")
    if account.totp_last_step is not None and step <= account.totp_last_step:
        raise TwoFactorError("That code has been used already. Wait for the next code your authenticator app shows.")
    account.totp_last_step = step


def pending_secret(session: Session, web_session: WebSession, *, data_key: bytes) -> str:
    """The two-factor key being set up in this sign-in, made on first use and kept sealed server-side."""
    context = f"pending-totp:{web_session.id}".encode("ascii")
    if web_session.pending_totp_secret:
        try:
            return unseal(data_key, base64.b85decode(web_session.pending_totp_secret), context).decode("ascii")
        except (SealError, ValueError):
            pass  # made under an older key: start the set-up again with a fresh one
    secret = new_secret()
    web_session.pending_totp_secret = base64.b85encode(seal(data_key, secret.encode("ascii"), context)).decode("ascii")
    session.flush()
    return secret


def _recovery_digest(code: str, salt: str) -> str:
    """"salt$sha256(salt, code)": 8 + 1 + 55 hex characters, fits the 64-character column."""
    clean = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return f"{salt}${hashlib.sha256(f'{salt}:{clean}'.encode('utf-8')).hexdigest()[:55]}"


def _matches(stored: str, code: str) -> bool:
    salt = stored.split("$", 1)[0]
    return hmac.compare_digest(stored, _recovery_digest(code, salt))


def new_recovery_codes(session: Session, account: Account, *, at: datetime) -> list[str]:
    """Ten fresh single-use recovery codes (to show once); any earlier ones stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        code = "-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4))
        session.add(RecoveryCode(account_id=account.id, code_hash=_recovery_digest(code, secrets.token_hex(4)),
                                 created_at=utc(at)))
        codes.append(code)
    session.flush()
    return codes


def use_recovery_code(session: Session, account_id: int, code: str, *, at: datetime) -> int:
    """Use up one recovery code in place of a two-factor code; returns how many are left.

    Raises TwoFactorError when the code is unknown or used (the UPDATE makes a second use fail).
    """
    unused = session.execute(select(RecoveryCode.id, RecoveryCode.code_hash).where(
        RecoveryCode.account_id == account_id, RecoveryCode.used_at.is_(None))).all()
    found = [row_id for row_id, stored in unused if _matches(stored, code)]
    # The UPDATE's condition makes a second, parallel use of the same code fail.
    used = found and session.execute(
        update(RecoveryCode).where(RecoveryCode.id == found[0], RecoveryCode.used_at.is_(None))
        .values(used_at=utc(at)).execution_options(synchronize_session=False)).rowcount
    if used != 1:
        raise TwoFactorError("That recovery code is not right or has been used already.")
    return len(unused) - 1


def reset(session: Session, account: Account, *, actor: Actor, at: datetime) -> None:
    """Forget the account's two-factor key and recovery codes: it sets up two-factor again at next sign-in."""
    account.totp_secret = None
    account.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    session.flush()
    audit.record(session, AuditTag.ACCOUNT_TWO_FACTOR_RESET, subject=f"account:{account.id}",
                 setting_id=account.setting_id, details={}, at=at, **actor.fields())

