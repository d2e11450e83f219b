"""The setting's official channels."""
from __future__ import annotations

from consent_db import records
from consent_db.models import Channel
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.publishers import publisher_for


def list_channels(uow: UnitOfWork, principal: Principal) -> list[Channel]:
    policy.require(principal, Action.CHANNELS_READ)
    with uow:
        return records.list_channels(uow.session, setting_id=principal.setting_id)


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
