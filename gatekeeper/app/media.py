"""The media queue's use cases: uploading, looking and deciding, always as a principal in its own setting.

Each function checks the policy, then calls one gate service with the principal's setting and actor.
Callers handle PolicyError, UnknownItem (also for an item of another setting or, for staff, someone
else's upload) and the gate's GateError family.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable

from sqlalchemy import func, select

from consent_db.models import Account, MediaItem
from consent_db.records import list_people
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal, Role
from gatekeeper.gate import access, actions, queue
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import UnknownItem
from gatekeeper.gate.ingest import UploadDetails, receive_upload
from gatekeeper.gate.items import get_item
from gatekeeper.gate.redaction import RedactionStyle


def upload(ctx: GateContext, principal: Principal, source: Path, *, uploader_person_id: int | None = None,
           details: UploadDetails = UploadDetails()) -> MediaItem:
    """Receive an upload in the principal's setting, with the uploader's caption and suggestion of who is in it;
    raises PolicyError, UploadDetailsRefused, Refused or QuarantineError."""
    policy.require(principal, Action.MEDIA_UPLOAD)
    policy.require_registered_tablet(principal)
    return receive_upload(ctx, source, uploader=principal.actor, uploader_person_id=uploader_person_id,
                          setting_id=principal.setting_id, details=details)


@dataclasses.dataclass(frozen=True)
class Pickable:
    id: int
    name: str
    kind: str


def upload_choices(ctx: GateContext, principal: Principal) -> list[Pickable]:
    """The setting's children and staff, for "who is in this" at upload (still there, by first name)."""
    policy.require(principal, Action.MEDIA_UPLOAD)
    with ctx.sessions() as session:
        people = list_people(session, setting_id=principal.setting_id)
        return [Pickable(p.id, p.full_name, p.kind.value) for p in people
                if p.leaving_date is None or p.leaving_date >= ctx.clock().date()]


def list_queue(ctx: GateContext, principal: Principal, *, state: str | None = None, channel_id: int | None = None,
               uploader_account_id: int | None = None, limit: int = 200) -> list[queue.QueueEntry]:
    """The setting's queue, newest first; staff see only their own uploads."""
    policy.require(principal, Action.QUEUE_READ)
    if principal.role is Role.STAFF:
        uploader_account_id = principal.account_id
    return queue.list_queue(ctx, setting_id=principal.setting_id, state=state, channel_id=channel_id,
                            uploader_account_id=uploader_account_id, limit=limit)


def queue_page(ctx: GateContext, principal: Principal, query: queue.QueueQuery = queue.QueueQuery(), *,
               page: int = 1, per_page: int = 50) -> queue.QueuePage:
    """One page of the setting's queue with counts per view; staff see only their own uploads.

    Raises PolicyError, or ValueError for a page number or size out of range.
    """
    policy.require(principal, Action.QUEUE_READ)
    if principal.role is Role.STAFF:
        query = dataclasses.replace(query, uploader_account_id=principal.account_id)
    return queue.queue_page(ctx, setting_id=principal.setting_id, query=query, page=page, per_page=per_page)


def find_account(ctx: GateContext, principal: Principal, ref: str) -> int | None:
    """The id of the setting's account with this id or email (for filtering by uploader), or None."""
    policy.require(principal, Action.QUEUE_READ)
    ref = ref.strip()
    with ctx.sessions() as session:
        query = select(Account.id).where(Account.setting_id == principal.setting_id)
        query = query.where(Account.id == int(ref)) if ref.isdigit() else query.where(
            func.lower(Account.email) == ref.lower())
        return session.scalars(query).first()


def my_uploads(ctx: GateContext, principal: Principal, *, page: int = 1, per_page: int = 50,
               oldest_first: bool = False) -> queue.UploadsPage:
    """One page of the principal's own uploads in plain words, newest (or oldest) first. Raises ValueError
    for a bad page."""
    policy.require(principal, Action.QUEUE_READ)
    return queue.my_uploads(ctx, account_id=principal.account_id, setting_id=principal.setting_id, page=page,
                            per_page=per_page, oldest_first=oldest_first)


def item_detail(ctx: GateContext, principal: Principal, public_id: str) -> queue.ItemDetail:
    policy.require(principal, Action.QUEUE_DECIDE)
    return queue.item_detail(ctx, public_id, setting_id=principal.setting_id)


def _may_view(ctx: GateContext, principal: Principal, public_id: str) -> None:
    """Staff see only their own uploads; everyone only their setting's. Raises UnknownItem otherwise."""
    policy.require(principal, Action.MEDIA_VIEW)
    with ctx.sessions() as session:
        item = get_item(session, public_id, setting_id=principal.setting_id)
        if principal.role is Role.STAFF and item.uploaded_by_account_id != principal.account_id:
            raise UnknownItem(f"there is no media item {public_id!r}")


def view_facts(ctx: GateContext, principal: Principal, public_id: str) -> access.ItemFacts:
    """What the principal may open of the item: its viewed rendition's key, type and size."""
    _may_view(ctx, principal, public_id)
    return access.item_facts(ctx, public_id, setting_id=principal.setting_id)


def thumbnail(ctx: GateContext, principal: Principal, public_id: str) -> bytes:
    _may_view(ctx, principal, public_id)
    return access.thumbnail(ctx, public_id, setting_id=principal.setting_id)


def identify(ctx: GateContext, principal: Principal, public_id: str, face_index: int, person_id: int) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.identify_face(ctx, public_id, face_index, person_id, actor=principal.actor,
                          setting_id=principal.setting_id)


def not_a_person(ctx: GateContext, principal: Principal, public_id: str, face_index: int) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.mark_not_a_person(ctx, public_id, face_index, actor=principal.actor, setting_id=principal.setting_id)


def people_in_picture(ctx: GateContext, principal: Principal, public_id: str, person_ids: Iterable[int]) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.list_people_in_picture(ctx, public_id, person_ids, actor=principal.actor,
                                   setting_id=principal.setting_id)


def redact(ctx: GateContext, principal: Principal, public_id: str, face_indexes: Iterable[int],
           style: RedactionStyle = RedactionStyle.FILL) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.redact_faces(ctx, public_id, face_indexes, actor=principal.actor, style=style,
                         setting_id=principal.setting_id)


def caption(ctx: GateContext, principal: Principal, public_id: str, text: str) -> list[str]:
    policy.require(principal, Action.QUEUE_DECIDE)
    return actions.set_caption(ctx, public_id, text, actor=principal.actor, setting_id=principal.setting_id)


def keep_audio(ctx: GateContext, principal: Principal, public_id: str, keep: bool) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.keep_audio(ctx, public_id, keep, actor=principal.actor, setting_id=principal.setting_id)


def approve(ctx: GateContext, principal: Principal, public_id: str, channel_ids: Iterable[int]) -> list[int]:
    policy.require(principal, Action.QUEUE_DECIDE)
    return actions.approve(ctx, public_id, channel_ids, actor=principal.actor, setting_id=principal.setting_id)


def reject(ctx: GateContext, principal: Principal, public_id: str) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.reject(ctx, public_id, actor=principal.actor, setting_id=principal.setting_id)


def take_down(ctx: GateContext, principal: Principal, public_id: str, *, channel_id: int | None = None) -> int:
    policy.require(principal, Action.QUEUE_DECIDE)
    return actions.take_down(ctx, public_id, channel_id=channel_id, actor=principal.actor,
                             setting_id=principal.setting_id)


def retry_analysis(ctx: GateContext, principal: Principal, public_id: str) -> None:
    policy.require(principal, Action.QUEUE_DECIDE)
    actions.retry_analysis(ctx, public_id, actor=principal.actor, setting_id=principal.setting_id)
