"""TOTP two-factor sign-in for Manager accounts (pyotp), the secret sealed at rest with the data key."""
from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone

import pyotp
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Account
from consent_db.totp_secrets import TotpSecretError, open_secret, seal_secret

ISSUER = "Photo Gatekeeper"
CODE_RE = re.compile(r"^\d{6}$")


class TwoFactorError(Exception):
    """The code is wrong or the stored secret cannot be read; the message is one plain sentence."""


def new_secret() -> str:
    """A fresh 160-bit base32 secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app takes (typed or pasted; no QR here)."""
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
    """Store the secret once a code from it is typed back; raises TwoFactorError."""
    if not code_matches(secret, code):
        raise TwoFactorError("That code does not match. Check the key was typed exactly and the device clock is right.")
    account.totp_secret = seal_secret(data_key, account.id, secret)
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
