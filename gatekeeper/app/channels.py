"""The setting's official channels."""
from __future__ import annotations

from consent_db import editing, records
from consent_db.models import Channel
from gatekeeper.app import policy
from gatekeeper.app.events import ChannelArchived
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.publishers import publisher_for


def list_channels(uow: UnitOfWork, principal: Principal, *, archived: bool | None = False) -> list[Channel]:
    """The setting's channels: current ones, archived ones (True) or all (None)."""
    policy.require(principal, Action.CHANNELS_READ)
    with uow:
        return records.list_channels(uow.session, setting_id=principal.setting_id, archived=archived)


def add_channel(uow: UnitOfWork, principal: Principal, *, slug: str, name: str, description: str,
                target: dict | None = None) -> Channel:
    """Add a channel (target: where copies go, e.g. {"kind": "s3", "bucket": ...}; None: the local channel folder).

    Raises RecordsError (bad or taken slug, empty text), InvalidTarget (a target no publisher accepts)
    or PolicyError.
    """
    policy.require(principal, Action.CHANNELS_WRITE)
    if target is not None:
        publisher_for(target)  # refuses unknown kinds, missing or mistyped fields, and credentials
    with uow:
        return records.add_channel(uow.session, setting_id=principal.setting_id, slug=slug, name=name,
                                   description=description, target=target, actor=principal.actor, at=uow.at)


def update_channel(uow: UnitOfWork, principal: Principal, ref: int | str, *, name: str,
                   description: str) -> list[str]:
    """Change a channel's name or description; returns the fields changed. Raises RecordsError or PolicyError."""
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        return editing.update_channel(uow.session, ref, setting_id=principal.setting_id, name=name,
                                      description=description, actor=principal.actor, at=uow.at)


def archive_channel(uow: UnitOfWork, principal: Principal, ref: int | str) -> Channel:
    """Archive a channel: nothing more is published there and the worker takes down what is.

    Raises RecordsError (unknown or already archived) or PolicyError.
    """
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        channel = editing.archive_channel(uow.session, ref, setting_id=principal.setting_id,
                                          actor=principal.actor, at=uow.at)
        uow.emit(ChannelArchived(principal.setting_id, channel.id))
    return channel
