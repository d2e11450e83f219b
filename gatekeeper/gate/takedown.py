"""Taking items off channels when consent no longer holds, and re-deciding items still in the queue."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from consent_db.audit import Actor, SYSTEM
from consent_db.models import Channel, ItemState, MediaItem, Publication, PublicationState
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.evaluate import decide_item, refresh_state
from gatekeeper.gate.items import ANY_SETTING, get_item, may_show
from gatekeeper.gate.publishing import DRAIN_JOB, LIVE, end_publication, stored_ref
from gatekeeper.publishers.base import PublisherError, Takeback

log = logging.getLogger(__name__)
CONSENT_CHANGED_JOB = "consent_changed"
NOT_RECALLED = "it was already sent by email and cannot be recalled"


@dataclass
class SweepReport:
    checked: int = 0
    taken_down: list[int] = field(default_factory=list)
    reevaluated: int = 0


def take_down_publication(ctx: GateContext, publication_id: int, *, reason: str | None = None,
                          actor: Actor = SYSTEM) -> bool:
    """Remove one live publication when consent fails now (or always, given a reason); True when removed.

    Raises PublisherError when the channel cannot be reached: the failure is noted on the publication
    for the Manager, and the row stays live so a retry (the outbox, the sweep) takes it down later.
    """
    try:
        return _take_down(ctx, publication_id, reason, actor)
    except PublisherError as exc:
        with ctx.sessions.begin() as session:
            publication = session.get(Publication, publication_id, with_for_update=True)
            if publication is not None and publication.state in LIVE:
                publication.takedown_failed_at = ctx.clock()
                publication.takedown_error = str(exc)
        raise


def _take_down(ctx: GateContext, publication_id: int, reason: str | None, actor: Actor) -> bool:
    with ctx.sessions.begin() as session:
        publication = session.get(Publication, publication_id, with_for_update=True)
        if publication is None or publication.state not in LIVE:
            return False
        item = session.get(MediaItem, publication.item_id)
        if reason is None:
            decision = decide_item(session, item, session.get(Channel, publication.channel_id), ctx.clock())
            if decision.cleared:
                publication.takedown_failed_at = publication.takedown_error = None
                return False
            reason = "; ".join(decision.reasons())
        # Remove first: if the channel is unreachable the row stays live and the job retries.
        publisher = ctx.publisher(publication.target)
        publisher.remove(stored_ref(publication))
        state = PublicationState.TAKEN_DOWN if publication.state is PublicationState.PUBLISHED else PublicationState.ABANDONED
        if publication.state is PublicationState.INTENT:
            # Its writer may land the object after this removal: complete_stale_intents removes it again.
            publication.removal_owed_at = ctx.clock()
        if publisher.can_take_back is Takeback.NEVER:
            # Nothing on a server to delete: the Manager must hear that the copies already sent stay out.
            reason = f"{reason}; {NOT_RECALLED}"
        end_publication(session, item, publication, state, reason, ctx, actor)
    ctx.enqueue(DRAIN_JOB)
    return True


def sweep(ctx: GateContext, *, person_id: int | None = None) -> SweepReport:
    """Re-check every live publication (of one person's items, when given) and the open queue.

    Raises PublisherError when a channel is unreachable, once every other publication and the queue
    were seen to: one channel that is down must not keep the copies on the others live. A retry
    picks up what is left.
    """
    report = SweepReport()
    with ctx.sessions() as session:
        query = select(Publication.id).join(MediaItem, MediaItem.id == Publication.item_id).where(
            Publication.state.in_(LIVE))
        open_items = select(MediaItem.public_id).where(MediaItem.state.in_((ItemState.READY, ItemState.HELD)))
        if person_id is not None:
            query = query.where(may_show(person_id))
            open_items = open_items.where(may_show(person_id))
        publication_ids = list(session.scalars(query))
        public_ids = list(session.scalars(open_items))
    unreachable: PublisherError | None = None
    for publication_id in publication_ids:
        report.checked += 1
        try:
            if take_down_publication(ctx, publication_id):
                report.taken_down.append(publication_id)
        except PublisherError as exc:
            # Noted on the publication for the Manager; raised below, after the others, so the caller retries.
            unreachable = unreachable or exc
    for public_id in public_ids:
        with ctx.sessions.begin() as session:
            item = get_item(session, public_id, setting_id=ANY_SETTING, for_update=True)
            if item.state in (ItemState.READY, ItemState.HELD):
                refresh_state(session, item, ctx.clock())
                report.reevaluated += 1
    if report.taken_down:
        log.info("took down %d publication(s) after a consent check", len(report.taken_down))
    if unreachable is not None:
        raise unreachable
    return report
