"""Managers' TOTP secrets sealed at rest with the data key: sealing, opening and re-sealing at key rotation.

The two-factor sign-in (web) and key rotation both use this; neither reaches into the other.
"""
from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db.models import Account
from consent_db.sealing import SealError, seal, unseal


class TotpSecretError(Exception):
    """A stored secret opens under no key given; the message names the account."""


def _context(account_id: int) -> bytes:
    return f"totp:{account_id}".encode("ascii")


def seal_secret(data_key: bytes, account_id: int, secret: str) -> str:
    """The text stored in accounts.totp_secret for this account's secret."""
    return base64.b85encode(seal(data_key, secret.encode("ascii"), _context(account_id))).decode("ascii")


def open_secret(data_key: bytes, account_id: int, stored: str | None) -> str:
    """The secret from its stored text; raises TotpSecretError when it is missing or does not open."""
    try:
        return unseal(data_key, base64.b85decode(stored or ""), _context(account_id)).decode("ascii")
    except (SealError, ValueError):
        raise TotpSecretError(f"the two-factor key of account {account_id} cannot be read") from None


def reseal_secrets(session: Session, old_key: bytes, new_key: bytes) -> tuple[int, int]:
    """Re-seal every TOTP secret under new_key; returns (resealed, already under it).

    Safe to run again after a crash. Raises TotpSecretError naming an account neither key opens.
    """
    resealed = already = 0
    for account in session.scalars(select(Account).where(Account.totp_secret.is_not(None)).with_for_update()):
        sealed = base64.b85decode(account.totp_secret)
        try:
            unseal(new_key, sealed, _context(account.id))
            already += 1
            continue
        except SealError:
            pass
        try:
            secret = unseal(old_key, sealed, _context(account.id))
        except SealError:
            raise TotpSecretError(f"the two-factor key of account {account.id} opens under neither key; "
                                  "reset that account's two-factor sign-in") from None
        account.totp_secret = base64.b85encode(seal(new_key, secret, _context(account.id))).decode("ascii")
        resealed += 1
    session.flush()
    return resealed, already
