"""The setting's registered tablets: pairing codes, renaming, revoking (its sessions end at once)."""
from __future__ import annotations

from consent_db import devices, records
from consent_db.accounts import end_sessions
from consent_db.models import Device
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.gate.served import DISPLAY_KIND, channel_kind


def list_devices(uow: UnitOfWork, principal: Principal) -> list[Device]:
    policy.require(principal, Action.DEVICES_MANAGE)
    with uow:
        return devices.list_devices(uow.session, setting_id=principal.setting_id)


def issue_pairing_code(uow: UnitOfWork, principal: Principal) -> str:
    """A one-time code for pairing a tablet (stored hashed: shown once); raises PolicyError."""
    policy.require(principal, Action.DEVICES_MANAGE)
    with uow:
        return devices.issue_pairing_code(uow.session, setting_id=principal.setting_id, actor=principal.actor)


class NotADisplayChannel(devices.DeviceError):
    """A display can only be paired for a channel whose kind is display."""


def issue_display_code(uow: UnitOfWork, principal: Principal, channel_ref: int | str) -> str:
    """A one-time code that pairs a screen as the entrance display of a display channel (shown once).

    Raises UnknownChannel, NotADisplayChannel or PolicyError.
    """
    policy.require(principal, Action.DEVICES_MANAGE)
    with uow:
        channel = records.get_channel(uow.session, channel_ref, setting_id=principal.setting_id)
        if channel_kind(channel) != DISPLAY_KIND:
            raise NotADisplayChannel(f"“{channel.name}” is not an entrance display channel")
        return devices.issue_pairing_code(uow.session, setting_id=principal.setting_id, actor=principal.actor,
                                          display_channel_id=channel.id)


def rename(uow: UnitOfWork, principal: Principal, device_id: int, name: str) -> None:
    """Raises UnknownDevice (another setting's too), DeviceError or PolicyError."""
    policy.require(principal, Action.DEVICES_MANAGE)
    with uow:
        devices.rename(uow.session, device_id, name, actor=principal.actor, setting_id=principal.setting_id)


def revoke(uow: UnitOfWork, principal: Principal, device_id: int) -> Device:
    """Revoke a tablet and end every session signed in on it, in one transaction; raises UnknownDevice."""
    policy.require(principal, Action.DEVICES_MANAGE)
    with uow:
        device = devices.revoke(uow.session, device_id, actor=principal.actor, setting_id=principal.setting_id,
                                at=uow.at)
        end_sessions(uow.session, at=uow.at, device_id=device.id)
        return device
