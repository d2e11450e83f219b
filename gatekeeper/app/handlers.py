"""What the worker does for each outbox kind. Every handler is idempotent: running it twice, or for a
change that ended nothing, leaves things as running it once would."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from consent_db.templates import purge_lapsed_templates
from sqlalchemy import select

from consent_db.audit import SYSTEM
from consent_db.models import MediaItem, Publication
from gatekeeper.app import notifications
from gatekeeper.app.events import (ChannelArchived, ConsentChanged, ConsentLapses, ConsentWithdrawn, GuardianLinked,
                                   ItemPublished, ItemTakenDown, ItemWaiting, LeavingDateSet, PeopleImported,
                                   PersonArchived, ResponsibilityChanged)
from gatekeeper.gate.actions import take_down
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.publishing import LIVE
from gatekeeper.gate.takedown import sweep

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one handled row did."""

    taken_down: int = 0
    reevaluated: int = 0
    templates_deleted: int = 0
    notified: int = 0


def recheck_person(ctx: GateContext, setting_id: int, person_id: int) -> Outcome:
    """Take down what consent no longer allows, re-decide queued items, delete templates that lapsed.

    Raises PublisherError when a channel is unreachable (the row is retried); templates are purged
    first so biometric data never waits on a channel.
    """
    with ctx.sessions.begin() as session:
        deleted = purge_lapsed_templates(session, setting_id=setting_id, at=ctx.clock(), person_ids=[person_id])
    report = sweep(ctx, person_id=person_id)
    return Outcome(len(report.taken_down), report.reevaluated, sum(deleted.values()))


def _person(ctx: GateContext, setting_id: int, payload: dict) -> Outcome:
    return recheck_person(ctx, setting_id, int(payload["person_id"]))


def _imported(ctx: GateContext, setting_id: int, payload: dict) -> Outcome:
    total = Outcome()
    for person_id in payload["person_ids"]:
        outcome = recheck_person(ctx, setting_id, int(person_id))
        total.taken_down += outcome.taken_down
        total.reevaluated += outcome.reevaluated
        total.templates_deleted += outcome.templates_deleted
    return total


def _channel_archived(ctx: GateContext, setting_id: int, payload: dict) -> Outcome:
    """Take every live copy off the archived channel (through the Manager's takedown, which also revokes
    the approvals); raises PublisherError while the channel is unreachable (the row is retried)."""
    channel_id = int(payload["channel_id"])
    with ctx.sessions() as session:
        public_ids = list(session.scalars(
            select(MediaItem.public_id).join(Publication, Publication.item_id == MediaItem.id)
            .where(Publication.channel_id == channel_id, Publication.state.in_(LIVE),
                   MediaItem.setting_id == setting_id).distinct()))
    removed = sum(take_down(ctx, public_id, channel_id=channel_id, actor=SYSTEM, setting_id=setting_id,
                            reason="the channel was archived") for public_id in public_ids)
    return Outcome(taken_down=removed)


def _notify(send: Callable[[GateContext, int, dict], int]) -> "Handler":
    def handle(ctx: GateContext, setting_id: int, payload: dict) -> Outcome:
        return Outcome(notified=send(ctx, setting_id, payload))
    return handle


Handler = Callable[[GateContext, int, dict], Outcome]

HANDLERS: dict[str, Handler] = {
    ConsentChanged.kind: _person,
    LeavingDateSet.kind: _person,
    GuardianLinked.kind: _person,
    ConsentLapses.kind: _person,
    PeopleImported.kind: _imported,
    PersonArchived.kind: _person,
    ResponsibilityChanged.kind: _person,
    ChannelArchived.kind: _channel_archived,
    ConsentWithdrawn.kind: _notify(notifications.on_consent_withdrawn),
    ItemWaiting.kind: _notify(notifications.on_item_waiting),
    ItemPublished.kind: _notify(notifications.on_item_published),
    ItemTakenDown.kind: _notify(notifications.on_item_taken_down),
}
