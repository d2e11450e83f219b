"""The setting's official channels."""
from __future__ import annotations

from consent_db import records
from consent_db.models import Channel
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork


def list_channels(uow: UnitOfWork, principal: Principal) -> list[Channel]:
    policy.require(principal, Action.CHANNELS_READ)
    with uow:
        return records.list_channels(uow.session, setting_id=principal.setting_id)


def add_channel(uow: UnitOfWork, principal: Principal, *, slug: str, name: str, description: str) -> Channel:
    """Add a channel; raises RecordsError (bad or taken slug, empty text) or PolicyError."""
    policy.require(principal, Action.CHANNELS_WRITE)
    with uow:
        return records.add_channel(uow.session, setting_id=principal.setting_id, slug=slug, name=name,
                                   description=description, actor=principal.actor, at=uow.at)
