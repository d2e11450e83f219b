"""A newsletter issue: the Manager picks approved items, writes a subject and an intro, previews, sends.

Each picture goes through the gate as on any channel (an intent with consent checked, the exact
approved rendition verified again) and consent is checked once more just before the email leaves,
because an email cannot be recalled. What is held is left out of the issue and said why.
"""
from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Approval, Channel, MediaItem, PersonKind, Publication, PublicationState, Rendition
from consent_db.records import get_channel, list_people
from gatekeeper.gate.captions import CaptionRefused, Name, check_caption
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import GateError, NotCleared
from gatekeeper.gate.evaluate import decide_item
from gatekeeper.gate.items import get_item
from gatekeeper.gate.lifecycle import is_open
from gatekeeper.gate.publishing import (
    LIVE,
    checked_caption,
    current_approval,
    end_publication,
    prepare_file,
    record_intent,
)
from gatekeeper.publishers.base import PublisherError
from gatekeeper.publishers.newsletter import IssueItem, NewsletterPublisher

log = logging.getLogger(__name__)
MAX_ITEMS = 30
MAX_INTRO = 2000
# Once sent, always sent: an item is never offered for the same newsletter twice.
SENT_STATES = (PublicationState.PUBLISHED, PublicationState.TAKEN_DOWN)


class NotANewsletter(GateError):
    """The channel is not a newsletter (its items are published one by one)."""


@dataclass(frozen=True)
class Candidate:
    public_id: str
    kind: str
    caption: str | None
    approved_at: datetime
    held: str | None  # why it would be left out now, or None when it can go


@dataclass
class IssueReport:
    subject: str
    sent: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    refused_recipients: list[str] = field(default_factory=list)
    recipients: int = 0
    text: str = ""


def _newsletter(ctx: GateContext, channel: Channel) -> NewsletterPublisher:
    publisher = ctx.publisher(ctx.channel_target(channel))
    if not isinstance(publisher, NewsletterPublisher):
        raise NotANewsletter(f"{channel.name} is not a newsletter channel")
    return publisher


def _children(session: Session, setting_id: int) -> list[Name]:
    return [Name(p.first_name, p.surname) for p in list_people(session, setting_id=setting_id, kind=PersonKind.CHILD)]


def _check_text(session: Session, setting_id: int, subject: str, intro: str) -> list[str]:
    """Warnings for first names in the subject and intro; raises GateError for a surname or bad text."""
    if len(intro or "") > MAX_INTRO:
        raise GateError(f"the introduction can be at most {MAX_INTRO} characters")
    children = _children(session, setting_id)
    try:
        return check_caption(subject or "", children) + check_caption(intro or "", children)
    except CaptionRefused as exc:
        raise GateError(f"the subject or introduction cannot be sent: {exc}") from None


def candidates(ctx: GateContext, channel_id: int, *, setting_id: int) -> list[Candidate]:
    """Items approved for this newsletter and never sent in it, newest approval first, each with
    whether it could go out now."""
    with ctx.sessions() as session:
        channel = get_channel(session, channel_id, setting_id=setting_id)
        _newsletter(ctx, channel)
        sent = select(Publication.item_id).where(Publication.channel_id == channel.id,
                                                 Publication.state.in_((*LIVE, *SENT_STATES)))
        # A semi-join rather than a join with DISTINCT: PostgreSQL cannot compare an item's JSON columns.
        approved = select(Approval.item_id).where(Approval.channel_id == channel.id, Approval.revoked_at.is_(None))
        items = session.scalars(select(MediaItem).where(
            MediaItem.setting_id == setting_id, MediaItem.id.in_(approved), MediaItem.id.not_in(sent)))
        found = []
        for item in items:
            approval = current_approval(session, item, channel)
            if approval is None or not is_open(item) or item.purged_at is not None:
                continue
            found.append(Candidate(public_id=item.public_id, kind=item.kind.value, caption=item.caption,
                                   approved_at=approval.approved_at, held=_held_now(ctx, session, item, channel)))
        return sorted(found, key=lambda c: c.approved_at, reverse=True)


def _held_now(ctx: GateContext, session: Session, item: MediaItem, channel: Channel) -> str | None:
    decision = decide_item(session, item, channel, ctx.clock())
    if not decision.cleared:
        return "; ".join(decision.reasons())
    try:
        checked_caption(session, item)
    except CaptionRefused as exc:
        return str(exc)
    return None


def preview(ctx: GateContext, channel_id: int, public_ids: list[str], *, subject: str, intro: str,
            setting_id: int) -> tuple[IssueReport, list[str]]:
    """What the issue would say and hold now, and warnings for first names; sends nothing.

    Raises GateError (no items, too many, a surname in the text) or NotANewsletter.
    """
    public_ids = _chosen(public_ids)
    report = IssueReport(subject=subject.strip())
    with ctx.sessions() as session:
        channel = get_channel(session, channel_id, setting_id=setting_id)
        publisher = _newsletter(ctx, channel)
        warnings = _check_text(session, setting_id, subject, intro)
        on_offer = {c.public_id: c for c in candidates(ctx, channel.id, setting_id=setting_id)}
        captions = []
        for public_id in public_ids:
            candidate = on_offer.get(public_id)
            if candidate is None:
                report.left_out[public_id] = "not approved for this newsletter, or already sent in it"
            elif candidate.held:
                report.left_out[public_id] = candidate.held
            else:
                report.sent.append(public_id)
                captions.append(candidate.caption)
        report.recipients = len(publisher.recipients)
        report.text = _text(intro, captions)
    return report, warnings


def _text(intro: str, captions: list[str | None]) -> str:
    lines = [intro.strip(), ""] if intro and intro.strip() else []
    lines += [f"Picture {n}: {c}" if c else f"Picture {n}" for n, c in enumerate(captions, start=1)]
    return "\n".join(lines)


def _chosen(public_ids: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(str(p) for p in public_ids if str(p).strip()))
    if not chosen:
        raise GateError("choose at least one picture for the issue")
    if len(chosen) > MAX_ITEMS:
        raise GateError(f"an issue can hold at most {MAX_ITEMS} pictures")
    return chosen


def send_issue(ctx: GateContext, channel_id: int, public_ids: list[str], *, subject: str, intro: str,
               actor: Actor, setting_id: int) -> IssueReport:
    """Send one issue with the chosen items that may go out now; the rest are left out with a reason.

    Raises GateError (nothing could go, bad text), NotANewsletter, and PublisherError when the mail
    server could not take the issue (nothing is then recorded as sent; send again later).
    """
    public_ids = _chosen(public_ids)
    report = IssueReport(subject=subject.strip())
    with ctx.sessions.begin() as session:
        channel = get_channel(session, channel_id, setting_id=setting_id)
        publisher = _newsletter(ctx, channel)
        _check_text(session, setting_id, subject, intro)
        intents = _record_intents(ctx, session, channel, public_ids, setting_id, report)
    if not intents:
        raise NotCleared("nothing can go out in this issue: " + "; ".join(
            f"{public_id}: {why}" for public_id, why in report.left_out.items()))
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        items = _prepare(ctx, intents, Path(scratch), report)
        items = _last_check(ctx, intents, items, report)
        if not items:
            raise NotCleared("nothing can go out in this issue: " + "; ".join(report.left_out.values()))
        try:
            message = publisher.compose(subject, intro, [item for _, item in items])
            refused = publisher.send(message)
        except PublisherError as exc:
            _abandon_all(ctx, [pid for pid, _ in items], f"the issue was not sent: {exc}")
            raise
    report.sent = [_confirm_sent(ctx, publication_id, actor, channel_id, subject) for publication_id, _ in items]
    report.refused_recipients = sorted(refused)
    report.recipients = len(publisher.recipients)
    report.text = message.get_body(("plain",)).get_content()
    log.info("newsletter issue %r sent with %d picture(s)", report.subject, len(report.sent))
    return report


def _record_intents(ctx: GateContext, session: Session, channel: Channel, public_ids: list[str], setting_id: int,
                    report: IssueReport) -> dict[int, tuple[str, str | None]]:
    """publication id -> (public id, checked caption) for every chosen item cleared now."""
    intents: dict[int, tuple[str, str | None]] = {}
    for public_id in public_ids:
        try:
            item = get_item(session, public_id, setting_id=setting_id, for_update=True)
            already = session.scalars(select(Publication.id).where(
                Publication.item_id == item.id, Publication.channel_id == channel.id,
                Publication.state.in_((*LIVE, *SENT_STATES)))).first()
            if already is not None:
                raise GateError("it was already sent in this newsletter, or is being sent")
            caption = checked_caption(session, item)
            intents[record_intent(ctx, session, item, channel)] = (public_id, caption)
        except (GateError, CaptionRefused) as exc:
            report.left_out[public_id] = str(exc)
    return intents


def _prepare(ctx: GateContext, intents: dict[int, tuple[str, str | None]], scratch: Path,
             report: IssueReport) -> list[tuple[int, IssueItem]]:
    ready = []
    for publication_id, (public_id, caption) in intents.items():
        with ctx.sessions() as session:
            publication = session.get(Publication, publication_id)
            approval = session.get(Approval, publication.approval_id)
            rendition = session.get(Rendition, approval.rendition_id) if approval.rendition_id else None
            sha, object_name, content_type = approval.content_sha256, publication.object_name, publication.content_type
        folder = scratch / str(publication_id)
        folder.mkdir()
        try:
            path = prepare_file(ctx, public_id, rendition, folder, sha)
        except NotCleared as exc:
            _abandon_all(ctx, [publication_id], str(exc))
            report.left_out[public_id] = str(exc)
            continue
        ready.append((publication_id, IssueItem(path=path, object_name=object_name, content_type=content_type,
                                                caption=caption)))
    return ready


def _last_check(ctx: GateContext, intents: dict[int, tuple[str, str | None]], items: list[tuple[int, IssueItem]],
                report: IssueReport) -> list[tuple[int, IssueItem]]:
    """Consent once more, just before the email leaves: a withdrawal while the files were prepared wins."""
    going = []
    for publication_id, item in items:
        public_id = intents[publication_id][0]
        with ctx.sessions.begin() as session:
            publication = session.get(Publication, publication_id, with_for_update=True)
            media = session.get(MediaItem, publication.item_id)
            decision = decide_item(session, media, session.get(Channel, publication.channel_id), ctx.clock())
            if publication.state is not PublicationState.INTENT or not decision.cleared:
                why = "; ".join(decision.reasons()) or "taken down while the issue was prepared"
                if publication.state is PublicationState.INTENT:
                    end_publication(session, media, publication, PublicationState.ABANDONED, why, ctx)
                report.left_out[public_id] = why
                continue
        going.append((publication_id, item))
    return going


def _abandon_all(ctx: GateContext, publication_ids: list[int], reason: str) -> None:
    with ctx.sessions.begin() as session:
        for publication_id in publication_ids:
            publication = session.get(Publication, publication_id, with_for_update=True)
            if publication.state is PublicationState.INTENT:
                item = session.get(MediaItem, publication.item_id)
                end_publication(session, item, publication, PublicationState.ABANDONED, reason, ctx)


def _confirm_sent(ctx: GateContext, publication_id: int, actor: Actor, channel_id: int, subject: str) -> str:
    with ctx.sessions.begin() as session:
        publication = session.get(Publication, publication_id, with_for_update=True)
        item = session.get(MediaItem, publication.item_id)
        channel = session.get(Channel, channel_id)
        # Sent is sent: even a withdrawal that landed during the send cannot undo it; the sweep then
        # records the takedown and tells the Manager it cannot be recalled.
        if publication.state is PublicationState.INTENT:
            publication.state = PublicationState.PUBLISHED
            publication.published_at = ctx.clock()
        audit.record(session, AuditTag.MEDIA_PUBLISHED, **actor.fields(), subject=f"media:{item.public_id}",
                     setting_id=item.setting_id,
                     details={"channel": channel.slug, "object": publication.object_name, "issue": subject})
        return item.public_id


def sent_but_withdrawn(ctx: GateContext, channel_id: int, *, setting_id: int) -> list[tuple[str, datetime, str]]:
    """Items sent in this newsletter whose consent has since ended: (public id, when taken down, why).
    They stay in people's mailboxes; the Manager sees them so the families can be told."""
    with ctx.sessions() as session:
        channel = get_channel(session, channel_id, setting_id=setting_id)
        rows = session.execute(select(MediaItem.public_id, Publication.ended_at, Publication.end_reason)
                               .join(MediaItem, MediaItem.id == Publication.item_id)
                               .where(Publication.channel_id == channel.id,
                                      Publication.state == PublicationState.TAKEN_DOWN)
                               .order_by(Publication.ended_at.desc()))
        return [(public_id, ended_at, reason or "") for public_id, ended_at, reason in rows]
