"""Publishing an approved item to a channel: intent (consent checked) -> write -> confirm (checked again).

A crash between the steps leaves an intent row; `complete_publication` finishes or abandons it.
Object names are fixed in the intent, so a retried write replaces rather than duplicates.
"""
from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import AuditTag
from consent_db.models import Approval, Channel, MediaItem, PersonKind, Publication, PublicationState, Rendition
from consent_db.records import get_channel, list_people
from gatekeeper.gate.captions import CaptionRefused, Name, check_caption
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import NotCleared, NotInQuarantine, SentInIssues
from gatekeeper.gate.evaluate import decide_item
from gatekeeper.gate.items import ANY_SETTING, file_sha256, get_item
from gatekeeper.gate.lifecycle import is_open
from gatekeeper.gate.renditions import RenditionError, rendition_for, store_key, verify_rendition
from gatekeeper.media.base import Kind
from gatekeeper.notify import events as notices
from gatekeeper.job_names import JobName
from gatekeeper.publishers.base import PublishedRef, Publisher, PublisherError, new_object_name
from gatekeeper.storage.base import ItemNotFound

log = logging.getLogger(__name__)
PUBLISH_JOB = JobName.PUBLISH_ITEM
DRAIN_JOB = JobName.DRAIN_OUTBOX  # the notices written with a publication or a takedown
LIVE = (PublicationState.INTENT, PublicationState.PUBLISHED)
STALE_INTENT = timedelta(minutes=2)


def live_publication(session: Session, item_id: int, channel_id: int) -> Publication | None:
    return session.scalars(select(Publication).where(
        Publication.item_id == item_id, Publication.channel_id == channel_id,
        Publication.state.in_(LIVE))).one_or_none()


def current_approval(session: Session, item: MediaItem, channel: Channel) -> Approval | None:
    """The Manager's unrevoked approval of exactly the rendition this channel receives now."""
    rendition = rendition_for(item, channel)
    if rendition is None:
        return None
    return session.scalars(select(Approval).where(
        Approval.item_id == item.id, Approval.channel_id == channel.id, Approval.revoked_at.is_(None),
        Approval.rendition_id == rendition.id, Approval.content_sha256 == rendition.sha256,
    ).order_by(Approval.id.desc()).limit(1)).first()


def stored_ref(publication: Publication) -> PublishedRef:
    """The ref a takedown hands the channel: the object name and whatever ids the channel gave the copy."""
    return PublishedRef(object_name=publication.object_name, location="",
                        remote=dict(publication.remote_ref or {}))


def sends_in_issues(ctx: GateContext, channel: Channel) -> bool:
    """Whether the channel's items go out together in issues the Manager sends (a newsletter)."""
    return ctx.publisher(ctx.channel_target(channel)).sends_in_issues


def publish_item(ctx: GateContext, public_id: str, channel_id: int) -> int:
    """Record the intent to publish (consent re-checked in this transaction), then write and confirm.

    Returns the publication id. Raises NotCleared when unapproved or held now, NotInQuarantine,
    SentInIssues for a newsletter, and PublisherError from the channel (the intent stays for a retry).
    """
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, setting_id=ANY_SETTING, for_update=True)
        channel = get_channel(session, channel_id, setting_id=item.setting_id)
        if sends_in_issues(ctx, channel):
            raise SentInIssues(f"items for {channel.name} go out with the next issue the Manager sends")
        existing = live_publication(session, item.id, channel.id)
        if existing is not None:
            publication_id = existing.id
        else:
            publication_id = record_intent(ctx, session, item, channel)
    complete_publication(ctx, publication_id)
    return publication_id


def record_intent(ctx: GateContext, session: Session, item: MediaItem, channel: Channel) -> int:
    if not is_open(item) or item.purged_at is not None:
        raise NotInQuarantine(f"item {item.public_id} is no longer held in quarantine")
    approval = current_approval(session, item, channel)
    if approval is None:
        raise NotCleared(f"item {item.public_id} is not approved for {channel.name} in its current form")
    decision = decide_item(session, item, channel, ctx.clock())
    if not decision.cleared:
        raise NotCleared(f"held for {channel.name}: " + "; ".join(decision.reasons()))
    rendition = session.get(Rendition, approval.rendition_id)
    publication = Publication(
        item_id=item.id, channel_id=channel.id, approval_id=approval.id, state=PublicationState.INTENT,
        object_name=new_object_name(rendition.extension), target=ctx.channel_target(channel),
        content_type=rendition.mime, with_audio=rendition.has_audio, intent_at=ctx.clock())
    session.add(publication)
    session.flush()
    return publication.id


def prepare_file(ctx: GateContext, public_id: str, rendition: Rendition | None, scratch: Path, sha: str) -> Path:
    """The exact approved rendition, verified again: the bytes written are the bytes analysed."""
    if rendition is None or rendition.sha256 != sha:
        raise NotCleared(f"item {public_id} was prepared again after it was approved")
    path = scratch / f"rendition.{rendition.extension}"
    try:
        ctx.store.fetch_to(store_key(public_id, sha), path)
    except ItemNotFound:
        raise NotCleared(f"the approved form of item {public_id} is no longer in quarantine") from None
    if file_sha256(path) != sha:
        raise NotCleared(f"item {public_id} changed after it was approved")
    try:
        verify_rendition(path, Kind(rendition.kind))
    except RenditionError as exc:
        raise NotCleared(f"item {public_id} failed its check before publishing ({exc})") from None
    return path


def complete_publication(ctx: GateContext, publication_id: int) -> None:
    """Write an intent's object and confirm it, or abandon it when consent no longer holds.

    Raises PublisherError / QuarantineError (the intent stays, and the job retries).
    """
    with ctx.sessions() as session:
        publication = session.get(Publication, publication_id)
        if publication is None or publication.state is not PublicationState.INTENT:
            return
        item = session.get(MediaItem, publication.item_id)
        approval = session.get(Approval, publication.approval_id)
        sha, public_id = approval.content_sha256, item.public_id
        rendition = session.get(Rendition, approval.rendition_id) if approval.rendition_id else None
        publisher = ctx.publisher(publication.target)
        try:
            caption = checked_caption(session, item) if publisher.takes_captions else None
        except CaptionRefused as exc:
            caption_problem = f"not published: {exc}"
        else:
            caption_problem = None
    if caption_problem:
        _abandon(ctx, publication_id, caption_problem)
        return
    if publisher.sends_in_issues:
        # Left by a send that crashed: whether the email went out cannot be known, so it counts as sent.
        _confirm(ctx, publication_id, public_id, publisher)
        return
    if publication.remote_ref is None:
        with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
            try:
                path = prepare_file(ctx, public_id, rendition, Path(scratch), sha)
            except NotCleared as exc:
                _abandon(ctx, publication_id, str(exc))
                return
            ref = publisher.publish(path, object_name=publication.object_name,
                                    content_type=publication.content_type, caption=caption)
        _remember_remote(ctx, publication_id, ref)
    _confirm(ctx, publication_id, public_id, publisher)
    ctx.enqueue(DRAIN_JOB)


def checked_caption(session: Session, item: MediaItem) -> str | None:
    """The item's caption checked again against today's children (one may have joined since it was
    written); raises CaptionRefused when it names a child's surname."""
    if not item.caption:
        return None
    children = [Name(p.first_name, p.surname)
                for p in list_people(session, setting_id=item.setting_id, kind=PersonKind.CHILD)]
    check_caption(item.caption, children)
    return item.caption


def _remember_remote(ctx: GateContext, publication_id: int, ref: PublishedRef) -> None:
    # Its own transaction, at once: a channel that cannot find a copy by name (Facebook) is only
    # reachable through these ids, so they must outlive a crash before the confirmation.
    if not ref.remote:
        return
    with ctx.sessions.begin() as session:
        publication = session.get(Publication, publication_id, with_for_update=True)
        publication.remote_ref = dict(ref.remote)


def _confirm(ctx: GateContext, publication_id: int, public_id: str, publisher: Publisher) -> None:
    with ctx.sessions.begin() as session:
        publication = session.get(Publication, publication_id, with_for_update=True)
        if publication.state is not PublicationState.INTENT:
            # Taken down or abandoned while the object was being written: make sure it is gone.
            publisher.remove(stored_ref(publication))
            return
        item = get_item(session, public_id, setting_id=ANY_SETTING)
        channel = session.get(Channel, publication.channel_id)
        decision = decide_item(session, item, channel, ctx.clock())
        if not decision.cleared:
            publisher.remove(stored_ref(publication))
            reason = "; ".join(decision.reasons())
            if publisher.sends_in_issues:
                reason += "; the issue's sending was interrupted, so it may have gone out, and an email cannot be recalled"
            end_publication(session, item, publication, PublicationState.ABANDONED, reason, ctx)
            return
        publication.state = PublicationState.PUBLISHED
        publication.published_at = ctx.clock()
        notices.write(session, notices.ItemPublished(item.setting_id, publication.id), at=ctx.clock())
        audit.record(session, AuditTag.MEDIA_PUBLISHED, actor_label="system", subject=f"media:{public_id}",
                     setting_id=item.setting_id, details={"channel": channel.slug, "object": publication.object_name})


def _abandon(ctx: GateContext, publication_id: int, reason: str) -> None:
    with ctx.sessions.begin() as session:
        publication = session.get(Publication, publication_id, with_for_update=True)
        if publication.state is PublicationState.INTENT:
            item = session.get(MediaItem, publication.item_id)
            end_publication(session, item, publication, PublicationState.ABANDONED, reason, ctx)


def end_publication(session: Session, item: MediaItem, publication: Publication, state: PublicationState,
                    reason: str, ctx: GateContext, actor: audit.Actor = audit.SYSTEM) -> None:
    """Record that a publication is over (taken down or abandoned), audited; the object is already gone."""
    publication.state = state
    publication.ended_at = ctx.clock()
    publication.end_reason = reason
    channel = session.get(Channel, publication.channel_id)
    tag = AuditTag.MEDIA_TAKEN_DOWN if state is PublicationState.TAKEN_DOWN else AuditTag.MEDIA_PUBLISH_ABANDONED
    audit.record(session, tag, **actor.fields(), subject=f"media:{item.public_id}", setting_id=item.setting_id,
                 details={"channel": channel.slug, "object": publication.object_name, "reason": reason})
    # The Manager knows of their own takedowns; those the consent rules made are news to them.
    if state is PublicationState.TAKEN_DOWN and actor == audit.SYSTEM:
        notices.write(session, notices.ItemTakenDown(item.setting_id, publication.id), at=ctx.clock())


def complete_stale_intents(ctx: GateContext) -> int:
    """Finish intents left by a crash (older than a couple of minutes) and remove again what a writer
    may have landed after its intent was taken down; returns how many were looked at.

    Raises the first PublisherError / QuarantineError once every other row was seen to (a channel that
    is down must not hold up the others); the rows it left are picked up again next time.
    """
    cutoff = ctx.clock() - STALE_INTENT
    with ctx.sessions() as session:
        ids = list(session.scalars(select(Publication.id).where(
            Publication.state == PublicationState.INTENT, Publication.intent_at < cutoff)))
        owed = list(session.scalars(select(Publication.id).where(
            Publication.state.not_in(LIVE), Publication.removal_owed_at < cutoff)))
    failure: Exception | None = None
    for finish, publication_id in [(complete_publication, i) for i in ids] + [(_remove_owed, i) for i in owed]:
        try:
            finish(ctx, publication_id)
        except Exception as exc:  # noqa: BLE001 - raised below, once every other row was seen to
            failure = failure or exc
    if failure is not None:
        raise failure
    return len(ids) + len(owed)


def _remove_owed(ctx: GateContext, publication_id: int) -> None:
    # The writer had its couple of minutes: whatever it landed is on the channel now, and goes.
    with ctx.sessions() as session:
        publication = session.get(Publication, publication_id)
        if publication is None or publication.removal_owed_at is None:
            return
        target, ref = publication.target, stored_ref(publication)
    try:
        ctx.publisher(target).remove(ref)
    except PublisherError as exc:
        with ctx.sessions.begin() as session:
            publication = session.get(Publication, publication_id, with_for_update=True)
            publication.takedown_failed_at, publication.takedown_error = ctx.clock(), str(exc)
        raise
    with ctx.sessions.begin() as session:
        publication = session.get(Publication, publication_id, with_for_update=True)
        publication.removal_owed_at = publication.takedown_failed_at = publication.takedown_error = None
