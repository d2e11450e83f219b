"""The Manager's actions on an item: identify, not a person, whole-picture list, redact, caption,
audio, approve, reject, take down, retry analysis. Each is audited and refuses what is not allowed."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterable

from PIL import Image
from sqlalchemy import select

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Approval, ItemKind, ItemState, MediaItem, PersonKind, Publication
from consent_db.records import RecordsError, get_channel, get_person, list_people
from gatekeeper.faces.analysis import Box
from gatekeeper.gate.captions import CaptionRefused, Name, check_caption
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import CannotRedact, GateError, IllegalTransition, NotCleared
from gatekeeper.gate.evaluate import decide_item, refresh_state
from gatekeeper.gate.ingest import ANALYSE_JOB
from gatekeeper.gate.items import file_sha256, get_face, get_item
from gatekeeper.gate.lifecycle import is_open, move
from gatekeeper.gate.publishing import LIVE, PUBLISH_JOB, live_publication
from gatekeeper.gate.redaction import RedactionStyle, redact, track_areas
from gatekeeper.gate.renditions import rendition_for, store_key
from gatekeeper.gate.takedown import take_down_publication
from gatekeeper.media import sanitize_file
from gatekeeper.media.rendition import RenditionError
from gatekeeper.media.rendition.covering import cover_video
from gatekeeper.storage.base import ItemNotFound


class CaptionNotAllowed(GateError):
    """The caption names a child's surname."""


def _open_item(session, public_id: str, setting_id: int | None) -> MediaItem:
    item = get_item(session, public_id, setting_id=setting_id, for_update=True)
    if not is_open(item):
        raise IllegalTransition(f"item {public_id} was rejected; nothing more can be done with it")
    return item


def _person(session, person_id: int, setting_id: int):
    try:
        return get_person(session, person_id, setting_id=setting_id)
    except RecordsError as exc:
        raise GateError(str(exc)) from None


def _record(session, tag: AuditTag, item: MediaItem, actor: Actor, **details) -> None:
    audit.record(session, tag, **actor.fields(), subject=f"media:{item.public_id}", setting_id=item.setting_id,
                 details=details)


def identify_face(ctx: GateContext, public_id: str, face_index: int, person_id: int, *, actor: Actor,
                  setting_id: int | None) -> None:
    """Say who a face is; that person's consent then decides. Raises GateError subclasses."""
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        face = get_face(item, face_index)
        _person(session, person_id, item.setting_id)
        face.manager_person_id, face.not_a_person = person_id, False
        face.marked_by_account_id, face.marked_at = actor.account_id, ctx.clock()
        _record(session, AuditTag.MEDIA_IDENTIFIED, item, actor, face=face_index + 1, person_id=person_id)
        refresh_state(session, item, ctx.clock())


def mark_not_a_person(ctx: GateContext, public_id: str, face_index: int, *, actor: Actor,
                      setting_id: int | None) -> None:
    """Mark a detection as no real person (a poster, a doll). Raises GateError subclasses."""
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        face = get_face(item, face_index)
        face.not_a_person, face.manager_person_id = True, None
        face.marked_by_account_id, face.marked_at = actor.account_id, ctx.clock()
        _record(session, AuditTag.MEDIA_NOT_A_PERSON, item, actor, face=face_index + 1)
        refresh_state(session, item, ctx.clock())


def list_people_in_picture(ctx: GateContext, public_id: str, person_ids: Iterable[int], *, actor: Actor,
                           setting_id: int | None) -> None:
    """For an item whose faces could not be checked: everyone the Manager sees in it."""
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        if not item.analysis_failed:
            raise IllegalTransition("the faces of this item were checked: identify each face instead")
        people = sorted({int(p) for p in person_ids})
        for person_id in people:
            _person(session, person_id, item.setting_id)
        item.whole_picture_people = people
        _record(session, AuditTag.MEDIA_PEOPLE_LISTED, item, actor, people=people)
        refresh_state(session, item, ctx.clock())


def redact_faces(ctx: GateContext, public_id: str, face_indexes: Iterable[int], *, actor: Actor,
                 style: RedactionStyle = RedactionStyle.FILL, setting_id: int | None) -> None:
    """Cover faces for good (a video's faces as whole tracks, in every frame), replace the quarantined
    copy, and analyse the result again: every approval then ends and the covered copy is checked anew."""
    indexes = sorted(set(face_indexes))
    if not indexes:
        raise GateError("choose at least one face to redact")
    with ctx.sessions() as session:
        item = _open_item(session, public_id, setting_id)
        if item.kind is ItemKind.VIDEO:
            plan = _video_plan(item, indexes, style)
        else:
            plan = [_original_box(item, get_face(item, i)) for i in indexes]
        if session.scalars(select(Publication.id).where(Publication.item_id == item.id,
                                                        Publication.state.in_(LIVE))).first():
            raise IllegalTransition("take the item down from its channels before redacting it")
        old_sha, extension, kind = item.content_sha256, item.extension, item.kind
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        if kind is ItemKind.VIDEO:
            redacted = _cover_video(ctx, public_id, plan, Path(scratch))
        else:
            redacted = _cover_picture(ctx, public_id, extension, plan, style, Path(scratch))
        clean = sanitize_file(redacted, Path(scratch), ctx.limits, stem=public_id)
        digest, size = file_sha256(clean.path), clean.path.stat().st_size
        with ctx.sessions.begin() as session:
            item = _open_item(session, public_id, setting_id)
            if item.content_sha256 != old_sha:
                raise GateError("the item changed while it was being redacted: try again")
            ctx.store.put(public_id, clean.path)
            item.content_sha256, item.size_bytes = digest, size
            item.mime, item.extension = clean.mime, clean.extension.lstrip(".")
            if kind is ItemKind.VIDEO:
                item.width, item.height, item.duration = clean.width, clean.height, clean.duration
                item.has_audio = clean.has_audio
            # A covered face shows nobody: what the Manager said about it goes; the other faces' marks
            # are carried to the new analysis by ingest.
            for index in indexes:
                covered_face = get_face(item, index)
                covered_face.manager_person_id, covered_face.not_a_person = None, False
            move(item, ItemState.ANALYSING)
            _record(session, AuditTag.MEDIA_REDACTED, item, actor, faces=[i + 1 for i in indexes], style=style.value)
    ctx.enqueue(ANALYSE_JOB, public_id=public_id)


def _cover_picture(ctx: GateContext, public_id: str, extension: str, boxes: list[Box], style: RedactionStyle,
                   scratch: Path) -> Path:
    original = scratch / f"original.{extension}"
    ctx.store.fetch_to(public_id, original)
    with Image.open(original) as picture:
        if getattr(picture, "n_frames", 1) > 1:
            raise CannotRedact("animated pictures cannot be redacted here: reject it instead")
        covered = redact(picture, boxes, style)
    # Keep photographs as JPEG; everything else becomes lossless PNG.
    as_jpeg = extension in ("jpg", "jpeg")
    redacted = scratch / ("redacted.jpg" if as_jpeg else "redacted.png")
    covered.save(redacted, format="JPEG" if as_jpeg else "PNG", quality=95)
    return redacted


@dataclass(frozen=True)
class _VideoPlan:
    """Which rendition to cover (the largest: every channel's copy is made again from it) and where."""

    key: str
    areas: dict[int, list[Box]]


def _video_plan(item: MediaItem, indexes: list[int], style: RedactionStyle) -> _VideoPlan:
    if style is not RedactionStyle.FILL:
        raise CannotRedact("faces in a video are covered with a solid fill; pixelation is for photos")
    videos = [r for r in item.renditions if r.kind == "video"]
    if not videos:
        raise CannotRedact("this video has not been prepared for publishing yet: check the faces again first")
    source = max(videos, key=lambda r: (r.width * r.height, r.id))
    by_rendition = {r.id: r for r in item.renditions}
    rate = Fraction(source.fps or 30).limit_denominator(1001)
    areas: dict[int, list[Box]] = {}
    for index in indexes:
        face = get_face(item, index)
        rendition = by_rendition.get(face.rendition_id)
        if rendition is None or not face.track_boxes:
            raise CannotRedact(f"face {index + 1} was found before tracks were kept frame by frame: "
                               "retry the analysis, then cover it")
        scale = (source.width / rendition.width, source.height / rendition.height)
        for frame, boxes in track_areas([face.track_boxes], rate, scale, source.width, source.height).items():
            areas.setdefault(frame, []).extend(boxes)
    return _VideoPlan(store_key(item.public_id, source.sha256), areas)


def _cover_video(ctx: GateContext, public_id: str, plan: _VideoPlan, scratch: Path) -> Path:
    rendition = scratch / "rendition.mp4"
    try:
        ctx.store.fetch_to(plan.key, rendition)
    except ItemNotFound:
        raise CannotRedact("the prepared copy of this video is no longer in quarantine: retry the analysis") from None
    covered = scratch / "covered.mp4"
    try:
        cover_video(rendition, covered, lambda frame: [(b.x, b.y, b.width, b.height)
                                                       for b in plan.areas.get(frame, ())])
    except RenditionError as exc:
        raise CannotRedact(f"the video could not be covered ({exc})") from None
    return covered


def _original_box(item: MediaItem, face) -> Box:
    """A face's box, measured on its rendition, in the pixels of the clean original the redaction covers."""
    rendition = next((r for r in item.renditions if r.id == face.rendition_id), None)
    if rendition is None:
        raise CannotRedact("this face was found before the item was prepared for publishing: check the faces again")
    # Renditions are the upright original scaled down as a whole, so one factor per axis maps back.
    sx, sy = item.width / rendition.width, item.height / rendition.height
    return Box(int(face.x * sx), int(face.y * sy), max(1, round(face.width * sx)), max(1, round(face.height * sy)))


def set_caption(ctx: GateContext, public_id: str, caption: str, *, actor: Actor,
                setting_id: int | None) -> list[str]:
    """Store a caption; raises CaptionNotAllowed for a child's surname, returns warnings for first names."""
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        children = [Name(p.first_name, p.surname)
                    for p in list_people(session, setting_id=item.setting_id, kind=PersonKind.CHILD,
                                             archived=None)]
        try:
            warnings = check_caption(caption, children)
        except CaptionRefused as exc:
            raise CaptionNotAllowed(str(exc)) from None
        item.caption = caption.strip() or None
        _record(session, AuditTag.MEDIA_CAPTIONED, item, actor, length=len(caption))
    return warnings


def keep_audio(ctx: GateContext, public_id: str, keep: bool, *, actor: Actor, setting_id: int | None) -> None:
    """Publish a video's sound too (off by default: voices and names are personal data)."""
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        if item.kind is not ItemKind.VIDEO or not item.has_audio:
            raise GateError("this item has no sound to keep")
        if item.keep_audio == bool(keep):
            return
        item.keep_audio = bool(keep)
        _record(session, AuditTag.MEDIA_AUDIO_KEPT, item, actor, keep=bool(keep))
        # The sound is part of the published rendition: prepare and check it again, approve it again.
        if item.state is not ItemState.ANALYSING:
            move(item, ItemState.ANALYSING)
    ctx.enqueue(ANALYSE_JOB, public_id=public_id)


def approve(ctx: GateContext, public_id: str, channel_ids: Iterable[int], *, actor: Actor,
            setting_id: int | None) -> list[int]:
    """Approve the item's exact bytes for channels where it is cleared, then queue publishing.

    Raises NotCleared (with every reason) when any chosen channel is held, GateError for a channel that
    cannot carry the item (a video to Facebook); nothing is approved then.
    """
    channel_ids = list(dict.fromkeys(int(c) for c in channel_ids))
    if not channel_ids:
        raise GateError("choose at least one channel")
    approved: list[int] = []
    to_publish: list[int] = []
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        if item.state not in (ItemState.READY, ItemState.HELD):
            raise IllegalTransition("the item is still being analysed")
        for channel_id in channel_ids:
            try:
                channel = get_channel(session, channel_id, setting_id=item.setting_id)
            except RecordsError as exc:
                raise GateError(str(exc)) from None
            publisher = ctx.publisher(ctx.channel_target(channel))
            if item.kind.value not in publisher.media_kinds:
                carries = " and ".join(kind + "s" for kind in publisher.media_kinds)
                raise GateError(f"{channel.name} takes {carries} only, not a {item.kind.value}")
            decision = decide_item(session, item, channel, ctx.clock())
            if not decision.cleared:
                raise NotCleared(f"held for {channel.name}: " + "; ".join(decision.reasons()))
            if live_publication(session, item.id, channel.id) is not None:
                continue
            # What is approved is the rendition this channel receives, by its hash.
            rendition = rendition_for(item, channel)
            session.add(Approval(item_id=item.id, channel_id=channel.id, rendition_id=rendition.id,
                                 content_sha256=rendition.sha256, approved_by_account_id=actor.account_id,
                                 approved_by_label=actor.label, approved_at=ctx.clock()))
            _record(session, AuditTag.MEDIA_APPROVED, item, actor, channel=channel.slug, sha256=rendition.sha256,
                    rendition=rendition.profile)
            approved.append(channel.id)
            if not publisher.sends_in_issues:
                to_publish.append(channel.id)
    # A newsletter's approved items wait for the issue the Manager sends.
    for channel_id in to_publish:
        ctx.enqueue(PUBLISH_JOB, public_id=public_id, channel_id=channel_id)
    return approved


def take_down(ctx: GateContext, public_id: str, *, channel_id: int | None = None, actor: Actor,
              setting_id: int | None, reason: str = "taken down by the Manager") -> int:
    """Remove the item from one channel or all; returns how many copies were removed."""
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, setting_id=setting_id)
        query = select(Publication).where(Publication.item_id == item.id, Publication.state.in_(LIVE))
        if channel_id is not None:
            query = query.where(Publication.channel_id == channel_id)
        publications = list(session.scalars(query))
        for publication in publications:
            # Without this, an approval still standing could publish the item again.
            for approval in session.scalars(select(Approval).where(
                    Approval.item_id == item.id, Approval.channel_id == publication.channel_id,
                    Approval.revoked_at.is_(None))):
                approval.revoked_at = ctx.clock()
        ids = [p.id for p in publications]
    return sum(take_down_publication(ctx, pid, reason=reason, actor=actor) for pid in ids)


def reject(ctx: GateContext, public_id: str, *, actor: Actor, setting_id: int | None,
           reason: str = "rejected by the Manager") -> None:
    """Reject an item: take it off every channel and purge its quarantined copy at once."""
    take_down(ctx, public_id, actor=actor, setting_id=setting_id, reason=reason)
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        move(item, ItemState.REJECTED)
        _record(session, AuditTag.MEDIA_REJECTED, item, actor, reason=reason)
    from gatekeeper.gate.retention import purge_item

    purge_item(ctx, public_id, reason=reason)


def retry_analysis(ctx: GateContext, public_id: str, *, actor: Actor, setting_id: int | None) -> None:
    """Analyse the item again (after a model or storage fault was fixed, or new people were enrolled)."""
    with ctx.sessions.begin() as session:
        item = _open_item(session, public_id, setting_id)
        if item.state is not ItemState.ANALYSING:
            move(item, ItemState.ANALYSING)
        _record(session, AuditTag.MEDIA_ANALYSED, item, actor, retried=True)
    ctx.enqueue(ANALYSE_JOB, public_id=public_id)
