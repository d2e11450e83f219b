"""Retention: rejected items go at once; unpublished items and published items' quarantine copies
after the configured number of days (but not a copy the display or the gallery is showing)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, select

from consent_db import audit
from consent_db.audit import AuditTag
from consent_db.models import Channel, ItemState, MediaItem, Publication, PublicationState
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.items import ANY_SETTING, get_item
from gatekeeper.gate.lifecycle import move
from gatekeeper.gate.publishing import LIVE
from gatekeeper.gate.renditions import store_key
from gatekeeper.gate.served import served_here

OPEN = (ItemState.RECEIVED, ItemState.ANALYSING, ItemState.READY, ItemState.HELD)


@dataclass
class PurgeReport:
    rejected_purged: int = 0
    expired_unpublished: int = 0
    quarantine_copies_dropped: int = 0


def _delete_quarantined(ctx: GateContext, item) -> None:
    """Delete the clean original and every rendition from the quarantine."""
    ctx.store.delete(item.public_id)
    for rendition in item.renditions:
        ctx.store.delete(store_key(item.public_id, rendition.sha256))


def purge_item(ctx: GateContext, public_id: str, *, reason: str) -> None:
    """Delete a rejected item's quarantined copy and faces; the row stays for the audit story."""
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, setting_id=ANY_SETTING, for_update=True)
        if item.state is not ItemState.REJECTED:
            return
        _delete_quarantined(ctx, item)
        item.faces.clear()
        item.renditions.clear()
        item.whole_picture_people = None
        item.caption = None
        item.purged_at = ctx.clock()
        move(item, ItemState.PURGED)
        audit.record(session, AuditTag.MEDIA_PURGED, actor_label="system", subject=f"media:{public_id}",
                     setting_id=item.setting_id, details={"reason": reason})


def _served_from_quarantine(session, item_id: int) -> bool:
    # The display and the family gallery show the approved rendition straight from the quarantine: while
    # the item is live on one, that copy is the published one and must stay. Once it is taken down
    # there, a later sweep drops it.
    channels = session.scalars(select(Channel).join(Publication, Publication.channel_id == Channel.id).where(
        Publication.item_id == item_id, Publication.state.in_(LIVE)))
    return any(served_here(channel) for channel in channels)


def purge(ctx: GateContext) -> PurgeReport:
    """Apply the retention rules now; raises QuarantineError when storage fails (a retry finishes)."""
    from gatekeeper.gate.actions import reject

    report = PurgeReport()
    at = ctx.clock()
    unpublished_cutoff = at - timedelta(days=int(ctx.config["RETENTION_UNPUBLISHED_DAYS"]))
    published_cutoff = at - timedelta(days=int(ctx.config["RETENTION_PUBLISHED_QUARANTINE_DAYS"]))
    ever_published = exists().where(Publication.item_id == MediaItem.id,
                                    Publication.state.in_(LIVE + (PublicationState.TAKEN_DOWN,)))
    with ctx.sessions() as session:
        rejected = list(session.scalars(select(MediaItem.public_id).where(MediaItem.state == ItemState.REJECTED)))
        stale = list(session.scalars(select(MediaItem.public_id).where(
            MediaItem.state.in_(OPEN), MediaItem.received_at < unpublished_cutoff, ~ever_published)))
        published_long_ago = exists().where(Publication.item_id == MediaItem.id,
                                            Publication.published_at < published_cutoff)
        published = list(session.scalars(select(MediaItem.public_id).where(
            MediaItem.purged_at.is_(None), MediaItem.state.in_(OPEN), published_long_ago)))
    for public_id in rejected:
        purge_item(ctx, public_id, reason="rejected")
        report.rejected_purged += 1
    for public_id in stale:
        reject(ctx, public_id, actor=audit.SYSTEM, setting_id=ANY_SETTING,
               reason="not published within the retention period")
        report.expired_unpublished += 1
    for public_id in published:
        with ctx.sessions.begin() as session:
            item = get_item(session, public_id, setting_id=ANY_SETTING, for_update=True)
            if _served_from_quarantine(session, item.id):
                continue
            # The rendition rows stay: live copies are still judged by the faces found in them.
            _delete_quarantined(ctx, item)
            item.purged_at = ctx.clock()
            audit.record(session, AuditTag.MEDIA_PURGED, actor_label="system", subject=f"media:{public_id}",
                         setting_id=item.setting_id, details={"reason": "quarantine copy past its retention period"})
        report.quarantine_copies_dropped += 1
    return report
