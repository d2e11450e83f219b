"""A parent looks at a published copy that shows their own child, from the link in a notification.

Only while it is published, only for a parent whose own child is in exactly that copy; otherwise it is
answered as not found, so the link says nothing about other families' photos.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from consent_db.models import Approval, Channel, GuardianLink, MediaItem, Person, Publication, PublicationState, Rendition
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import UnknownItem
from gatekeeper.gate.renditions import store_key
from gatekeeper.notify.messages import children_in_publication


@dataclass(frozen=True)
class OwnChild:
    id: int
    first_name: str
    may_decide: bool  # the link carries parental responsibility


@dataclass(frozen=True)
class FamilyPhoto:
    """What a parent may open of one publication: the channel, their own children in it, and its bytes' key."""

    publication_id: int
    channel_id: int
    channel_name: str
    kind: str
    mime: str
    key: str
    size: int
    children: list[OwnChild]


def family_photo(ctx: GateContext, principal: Principal, publication_id: int) -> FamilyPhoto:
    """The published copy, if it shows the parent's own child; raises UnknownItem otherwise."""
    policy.require(principal, Action.FAMILY_READ)
    missing = UnknownItem("there is no such photo in your account")
    with ctx.sessions() as session:
        publication = session.get(Publication, publication_id)
        if publication is None or publication.state is not PublicationState.PUBLISHED:
            raise missing
        item = session.get(MediaItem, publication.item_id)
        if item is None or item.setting_id != principal.setting_id or item.purged_at is not None:
            raise missing
        shown = children_in_publication(session, item, publication)
        links = list(session.execute(select(GuardianLink, Person).join(Person, Person.id == GuardianLink.child_id).where(
            GuardianLink.guardian_id == principal.guardian_id, GuardianLink.child_id.in_(shown or {-1}))
            .order_by(Person.first_name)))
        if not links:
            raise missing
        rendition = session.get(Rendition, session.get(Approval, publication.approval_id).rendition_id)
        channel = session.get(Channel, publication.channel_id)
        return FamilyPhoto(publication.id, channel.id, channel.name, rendition.kind, rendition.mime,
                           store_key(item.public_id, rendition.sha256), rendition.size_bytes,
                           [OwnChild(p.id, p.first_name, link.parental_responsibility) for link, p in links])
