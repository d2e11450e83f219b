"""What the gatekeeper shows itself (the entrance display, the family gallery), decided at each request.

Nothing here is cached: every list and every picture asks the gate again, with consent as it stands
at that moment, whether the publication is live, its approval still current, and every face cleared.
A withdrawal therefore hides an item from the next request on, before any takedown job has run.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from consent_db.models import Channel, MediaItem, Publication, PublicationState, Rendition
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.evaluate import decide_item
from gatekeeper.gate.items import may_show, people_shown
from gatekeeper.gate.lifecycle import is_open
from gatekeeper.gate.publishing import current_approval
from gatekeeper.gate.renditions import store_key
from gatekeeper.publishers import KINDS
from gatekeeper.publishers.base import InvalidTarget
from gatekeeper.publishers.targets import kind_of

DISPLAY_KIND = "display"
GALLERY_KIND = "family_gallery"


class NotServed(Exception):
    """Not shown now (withdrawn, taken down, unknown, another setting's): answer as not found."""


@dataclass(frozen=True)
class ServedItem:
    """One picture or video the gatekeeper may show now; object_name is its only public name."""

    object_name: str
    key: str  # the approved rendition's quarantine key
    mime: str
    kind: str  # "photo" or "video"
    extension: str
    size: int | None
    published_at: datetime | None


def channel_kind(channel: Channel) -> str | None:
    """The kind a channel's target names; None for the default folder or a malformed target."""
    if not channel.target:
        return None
    try:
        return kind_of(channel.target)
    except InvalidTarget:
        return None


def served_here(channel: Channel) -> bool:
    """Whether the gatekeeper shows this channel's items itself, from the quarantine (a served kind)."""
    name = channel_kind(channel)
    return name is not None and name in KINDS and KINDS[name].served


def served_channels(session: Session, setting_id: int, kind: str) -> list[Channel]:
    """The setting's channels of one served kind."""
    rows = session.scalars(select(Channel).where(Channel.setting_id == setting_id).order_by(Channel.id))
    return [channel for channel in rows if channel_kind(channel) == kind]


def _shown_now(session: Session, publication: Publication, channel: Channel, at: datetime) -> ServedItem | None:
    if publication.state is not PublicationState.PUBLISHED:
        return None
    item = session.get(MediaItem, publication.item_id)
    if item is None or item.purged_at is not None or not is_open(item):
        return None
    approval = current_approval(session, item, channel)
    # A re-render or a revoked approval means what is approved now is not what was published.
    if approval is None or approval.id != publication.approval_id:
        return None
    if not decide_item(session, item, channel, at).cleared:
        return None
    rendition = session.get(Rendition, approval.rendition_id)
    if rendition is None or rendition.sha256 != approval.content_sha256:
        return None
    return ServedItem(object_name=publication.object_name, key=store_key(item.public_id, rendition.sha256),
                      mime=rendition.mime, kind=rendition.kind, extension=rendition.extension,
                      size=rendition.size_bytes, published_at=publication.published_at)


def _publications(session: Session, channel_ids: list[int], *, person_id: int | None = None,
                  object_name: str | None = None) -> list[Publication]:
    if not channel_ids:
        return []
    query = (select(Publication).join(MediaItem, MediaItem.id == Publication.item_id)
             .where(Publication.channel_id.in_(channel_ids), Publication.state == PublicationState.PUBLISHED)
             .order_by(Publication.published_at.desc(), Publication.id.desc()))
    if person_id is not None:
        query = query.where(may_show(person_id))
    if object_name is not None:
        query = query.where(Publication.object_name == object_name)
    return list(session.scalars(query))


def display_items(ctx: GateContext, channel_id: int, *, setting_id: int) -> list[ServedItem]:
    """What one display channel may show now, newest first; empty when the channel is not a display's."""
    at = ctx.clock()
    with ctx.sessions() as session:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.setting_id != setting_id or channel_kind(channel) != DISPLAY_KIND:
            return []
        found = (_shown_now(session, p, channel, at) for p in _publications(session, [channel.id]))
        return [item for item in found if item is not None]


def display_item(ctx: GateContext, channel_id: int, object_name: str, *, setting_id: int) -> ServedItem:
    """One picture of a display channel, if it may be shown now; raises NotServed."""
    at = ctx.clock()
    with ctx.sessions() as session:
        channel = session.get(Channel, channel_id)
        if channel is None or channel.setting_id != setting_id or channel_kind(channel) != DISPLAY_KIND:
            raise NotServed("no such display")
        for publication in _publications(session, [channel.id], object_name=object_name):
            served = _shown_now(session, publication, channel, at)
            if served is not None:
                return served
    raise NotServed(f"{object_name!r} is not shown now")


def _gallery(session: Session, child_id: int, setting_id: int, at: datetime,
             object_name: str | None = None) -> list[ServedItem]:
    channels = {c.id: c for c in served_channels(session, setting_id, GALLERY_KIND)}
    found: list[ServedItem] = []
    seen: set[int] = set()
    for publication in _publications(session, list(channels), person_id=child_id, object_name=object_name):
        if publication.item_id in seen:
            continue
        item = session.scalars(select(MediaItem).where(MediaItem.id == publication.item_id).options(
            selectinload(MediaItem.faces), selectinload(MediaItem.renditions))).one()
        # may_show also matches any item with a whole-picture list; only the child's own items count.
        if item.setting_id != setting_id or child_id not in people_shown(item):
            continue
        served = _shown_now(session, publication, channels[publication.channel_id], at)
        if served is not None:
            seen.add(publication.item_id)
            found.append(served)
    return found


def gallery_items(ctx: GateContext, child_id: int, *, setting_id: int) -> list[ServedItem]:
    """The family gallery of one child: published items that show the child and that the gate clears
    now for a gallery channel (everyone in them consents, or is redacted). Authorise the parent first."""
    with ctx.sessions() as session:
        return _gallery(session, child_id, setting_id, ctx.clock())


def gallery_item(ctx: GateContext, child_id: int, object_name: str, *, setting_id: int) -> ServedItem:
    """One item of the child's gallery, if it may be shown now; raises NotServed. Authorise first."""
    with ctx.sessions() as session:
        found = _gallery(session, child_id, setting_id, ctx.clock(), object_name=object_name)
    if not found:
        raise NotServed(f"{object_name!r} is not shown now")
    return found[0]
