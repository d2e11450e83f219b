"""Registered setting tablets: one-time pairing codes, device tokens, revocation.

Only SHA-256 digests of codes and tokens are stored. Codes are short (the Manager reads one out)
but expire within minutes and work once; tokens are 256-bit random.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Device, PairingCode
from consent_db.timeutil import now, utc

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L or U: read aloud without mistakes
CODE_LENGTH = 8
CODE_TTL = timedelta(minutes=10)
NAME_MAX = 100


class DeviceError(Exception):
    """A device cannot be paired or changed as asked; nothing was changed."""


class InvalidPairingCode(DeviceError):
    """The code is wrong, already used or expired (deliberately not saying which)."""


class UnknownDevice(DeviceError):
    """No device with that id in this setting."""


class InvalidDeviceName(DeviceError):
    """The name is empty or too long."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _name(name: str) -> str:
    clean = (name or "").strip()
    if not clean or len(clean) > NAME_MAX:
        raise InvalidDeviceName(f"a device name needs 1 to {NAME_MAX} characters")
    return clean


def issue_pairing_code(
    session: Session, *, setting_id: int, actor: Actor, at: datetime | None = None, ttl: timedelta = CODE_TTL,
    display_channel_id: int | None = None,
) -> str:
    """A fresh one-time code for pairing one tablet (or, given a channel, one entrance display of that
    channel) to the setting; shown once, stored hashed. The caller checks the channel is a display's."""
    at = utc(at or now())
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    row = PairingCode(setting_id=setting_id, code_hash=_digest(code), created_by_account_id=actor.account_id,
                      created_at=at, expires_at=at + ttl, display_channel_id=display_channel_id)
    session.add(row)
    session.flush()
    audit.record(session, AuditTag.DEVICE_PAIRING_CODE_ISSUED, subject=f"setting:{setting_id}", setting_id=setting_id,
                 details={"code_id": row.id, "expires": row.expires_at.isoformat(),
                          "display_channel_id": display_channel_id}, at=at, **actor.fields())
    return code


def pair_device(session: Session, *, code: str, name: str, at: datetime | None = None) -> str:
    """Use a pairing code to register a device; returns its token (shown once). Raises DeviceError."""
    at = utc(at or now())
    clean_name = _name(name)
    row = session.scalars(
        select(PairingCode).where(PairingCode.code_hash == _digest(_normalise_code(code))).with_for_update()
    ).first()
    if row is None or row.used_at is not None or at >= row.expires_at:
        raise InvalidPairingCode("that pairing code is not valid: ask the Manager for a new one")
    token = secrets.token_urlsafe(32)
    device = Device(setting_id=row.setting_id, name=clean_name, token_hash=_digest(token),
                    paired_by_account_id=row.created_by_account_id, paired_at=at, last_seen_at=at,
                    display_channel_id=row.display_channel_id)
    session.add(device)
    session.flush()
    row.used_at, row.device_id = at, device.id
    audit.record(session, AuditTag.DEVICE_PAIRED, subject=f"device:{device.id}", setting_id=device.setting_id,
                 actor_account_id=row.created_by_account_id, device_id=device.id, at=at,
                 details={"name": clean_name, "code_id": row.id, "display_channel_id": row.display_channel_id})
    return token


def device_for_token(session: Session, token: str) -> Device | None:
    """The paired, unrevoked device holding this token, else None."""
    if not token:
        return None
    device = session.scalars(select(Device).where(Device.token_hash == _digest(token))).first()
    return device if device is not None and not device.revoked else None


def get_device(session: Session, device_id: int, *, setting_id: int) -> Device:
    """The device with this id in this setting; raises UnknownDevice."""
    device = session.get(Device, device_id)
    if device is None or device.setting_id != setting_id:
        raise UnknownDevice(f"there is no device {device_id}")
    return device


def list_devices(session: Session, *, setting_id: int) -> list[Device]:
    """The setting's devices, revoked ones included, ordered by id."""
    return list(session.scalars(select(Device).where(Device.setting_id == setting_id).order_by(Device.id)))


def touch(session: Session, device_id: int, *, at: datetime | None = None) -> None:
    """Note that the device was just seen (not audited: it happens on every request)."""
    # The device was just found by its own token: no setting to check it against.
    device = session.get(Device, device_id)
    if device is None:
        raise UnknownDevice(f"there is no device {device_id}")
    device.last_seen_at = utc(at or now())
    session.flush()


def revoke(session: Session, device_id: int, *, actor: Actor, setting_id: int, at: datetime | None = None) -> Device:
    """Stop the device's token working at once; revoking twice changes nothing more."""
    device = get_device(session, device_id, setting_id=setting_id)
    if device.revoked:
        return device
    device.revoked_at = utc(at or now())
    session.flush()
    audit.record(session, AuditTag.DEVICE_REVOKED, subject=f"device:{device.id}", setting_id=device.setting_id,
                 details={"name": device.name}, at=at, **actor.fields())
    return device


def rename(session: Session, device_id: int, name: str, *, actor: Actor, setting_id: int,
           at: datetime | None = None) -> Device:
    """Give the device a new name; raises UnknownDevice or InvalidDeviceName."""
    device = get_device(session, device_id, setting_id=setting_id)
    old, device.name = device.name, _name(name)
    session.flush()
    audit.record(session, AuditTag.DEVICE_RENAMED, subject=f"device:{device.id}", setting_id=device.setting_id,
                 details={"from": old, "to": device.name}, at=at, **actor.fields())
    return device
