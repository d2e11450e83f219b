"""Receiving an upload (sanitise, encrypt into quarantine, record) and analysing it (a job)."""
from __future__ import annotations

import logging
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Approval, ItemKind, ItemState, MediaFace, MediaItem, PersonKind, Rendition
from consent_db.records import default_setting, list_channels, list_people
from gatekeeper.faces.analysis import Analysis, Box
from gatekeeper.faces.engine import failed
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import PluginError
from gatekeeper.faces.service import analyse_file, gallery_for_setting
from gatekeeper.gate.captions import CaptionRefused, Name, check_caption
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.errors import GateError
from gatekeeper.gate.evaluate import refresh_state
from gatekeeper.gate.items import ANY_SETTING, face_rows, file_sha256, get_item
from gatekeeper.gate.lifecycle import move
from gatekeeper.gate.marks import Mark, Place, carry
from gatekeeper.gate.renditions import RenditionError, Stored, discard, make_renditions, store_key
from gatekeeper.job_names import JobName
from gatekeeper.media import sanitize_file
from gatekeeper.notify import events as notices

log = logging.getLogger(__name__)
ANALYSE_JOB = JobName.ANALYSE_ITEM
DRAIN_JOB = JobName.DRAIN_OUTBOX  # notifications written in the gate's transactions


def new_public_id() -> str:
    # 128 random bits: item ids in URLs and quarantine keys cannot be guessed or counted.
    return secrets.token_hex(16)


class UploadDetailsRefused(GateError):
    """The caption or the list of who is in the upload cannot be kept; nothing was stored."""


@dataclass(frozen=True)
class UploadDetails:
    """What the uploader says about an upload: a caption, and who they say is in it (a suggestion only)."""

    caption: str = ""
    suggested_people: tuple[int, ...] = ()


def checked_details(ctx: GateContext, setting_id: int | None, details: UploadDetails) -> tuple[str | None, list | None]:
    """The caption and suggestion as they will be stored; raises UploadDetailsRefused."""
    if not details.caption.strip() and not details.suggested_people:
        return None, None
    with ctx.sessions() as session:
        setting = setting_id or default_setting(session).id
        people = {p.id: p for p in list_people(session, setting_id=setting)}
        children = [Name(p.first_name, p.surname) for p in people.values() if p.kind is PersonKind.CHILD]
        try:
            check_caption(details.caption, children)
        except CaptionRefused as exc:
            raise UploadDetailsRefused(str(exc)) from None
        suggested = sorted(set(details.suggested_people))
        unknown = [p for p in suggested if p not in people]
        if unknown:
            raise UploadDetailsRefused(f"there is no person {unknown[0]} in this setting")
    return details.caption.strip() or None, suggested or None


def receive_upload(ctx: GateContext, source: Path, *, uploader: Actor, uploader_person_id: int | None = None,
                   setting_id: int | None, details: UploadDetails = UploadDetails()) -> MediaItem:
    """Sanitise, quarantine and record an upload, then queue its analysis.

    Raises UploadDetailsRefused and gatekeeper.media.Refused (nothing is kept) and QuarantineError
    (storage failed). The uploader's suggestion of who is in it is kept for the Manager to confirm;
    it never identifies a face by itself.
    """
    caption, suggested = checked_details(ctx, setting_id, details)
    public_id = new_public_id()
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        clean = sanitize_file(Path(source), Path(scratch), ctx.limits, stem=public_id)
        digest = file_sha256(clean.path)
        size = clean.path.stat().st_size
        ctx.store.put(public_id, clean.path)
    try:
        with ctx.sessions.begin() as session:
            setting = setting_id or default_setting(session).id
            item = MediaItem(
                setting_id=setting, public_id=public_id, kind=ItemKind(clean.kind.value), mime=clean.mime,
                extension=clean.extension.lstrip("."), content_sha256=digest, size_bytes=size,
                width=clean.width, height=clean.height, duration=clean.duration, has_audio=clean.has_audio,
                state=ItemState.RECEIVED, uploaded_by_account_id=uploader.account_id,
                uploaded_by_person_id=uploader_person_id, device_id=uploader.device_id, received_at=ctx.clock(),
                caption=caption, suggested_people=suggested,
            )
            session.add(item)
            move(item, ItemState.ANALYSING)
            audit.record(session, AuditTag.MEDIA_UPLOADED, **uploader.fields(), subject=f"media:{public_id}",
                         setting_id=setting, details={"kind": item.kind.value, "bytes": size,
                                                      "metadata_removed": list(clean.removed)})
    except Exception:
        ctx.store.delete(public_id)
        raise
    ctx.enqueue(ANALYSE_JOB, public_id=public_id)
    return item


def _gallery(ctx: GateContext, setting_id: int) -> Gallery:
    with ctx.sessions() as session:
        return gallery_for_setting(session, ctx.data_key, setting_id=setting_id, at=ctx.clock())


def analyse_item(ctx: GateContext, public_id: str) -> None:
    """Render the item for every channel size, find and match the faces in each rendition, then decide.

    Does nothing unless the item is analysing. Raises QuarantineError when the quarantine cannot be
    read or written (the job retries).
    """
    with ctx.sessions() as session:
        item = get_item(session, public_id, setting_id=ANY_SETTING)
        if item.state is not ItemState.ANALYSING:
            return
        setting_id, extension, keep_audio = item.setting_id, item.extension, item.keep_audio
        sides = [c.rendition_side for c in list_channels(session, setting_id=setting_id)]
    stored: list[Stored] = []
    analyses: list[Analysis] = []
    render_error = None
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        original = Path(scratch) / f"original.{extension}"
        ctx.store.fetch_to(public_id, original)
        try:
            stored = make_renditions(ctx.store, public_id, original, Path(scratch), channel_sides=sides,
                                     keep_audio=keep_audio)
        except RenditionError as exc:
            render_error = f"the item cannot be prepared for publishing ({exc})"
        if stored:
            try:
                engine = ctx.engine()
            except (PluginError, ModelError) as exc:
                analyses = [failed(str(exc)) for _ in stored]
            else:
                gallery = _gallery(ctx, setting_id)
                analyses = [analyse_file(s.made.path, engine, gallery) for s in stored]
    _record_analysis(ctx, public_id, stored, analyses, render_error)


def _record_analysis(ctx: GateContext, public_id: str, stored: list[Stored], analyses: list[Analysis],
                     render_error: str | None) -> None:
    new_keys = {s.key for s in stored}
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, setting_id=ANY_SETTING, for_update=True)
        if item.state is not ItemState.ANALYSING:
            discard(ctx.store, new_keys - {store_key(public_id, r.sha256) for r in item.renditions})
            return
        old_keys = {store_key(public_id, r.sha256) for r in item.renditions}
        # Nothing approved under an earlier analysis stands: the Manager approves what this one found.
        for approval in session.scalars(select(Approval).where(Approval.item_id == item.id,
                                                               Approval.revoked_at.is_(None))):
            approval.revoked_at = ctx.clock()
        first_analysis = item.analysed_at is None
        marks = marks_of_faces(item)
        item.faces.clear()
        item.renditions.clear()
        session.flush()
        next_index = 0
        for entry, analysis in zip(stored, analyses):
            rendition = rendition_row(entry, analysis, ctx.clock())
            item.renditions.append(rendition)
            session.flush()
            rows = face_rows(analysis, first_index=next_index)
            for row in rows:
                row.rendition_id = rendition.id
            item.faces.extend(rows)
            next_index += len(rows)
        kept = _keep_marks(marks, item)
        errors = [a.error for a in analyses if a.failed and a.error]
        item.analysed_at = ctx.clock()
        item.analysis_failed = render_error is not None or any(a.failed for a in analyses)
        item.analysis_error = render_error or ("; ".join(dict.fromkeys(errors)) or None)
        item.analysis_engine = next((a.engine for a in analyses if a.engine), None)
        decisions = refresh_state(session, item, ctx.clock())
        audit.record(session, AuditTag.MEDIA_ANALYSED if item.state is ItemState.READY else AuditTag.MEDIA_HELD,
                     actor_label="system", subject=f"media:{public_id}", setting_id=item.setting_id,
                     details={"faces": sum(len(a.faces) for a in analyses), "failed": item.analysis_failed,
                              "marks_kept": kept,
                              "error": item.analysis_error, "renditions": [s.profile for s in stored],
                              "cleared_channels": sorted(c for c, d in decisions.items() if d.cleared)})
        if first_analysis:
            notices.write(session, notices.ItemWaiting(item.setting_id, public_id), at=ctx.clock())
    discard(ctx.store, old_keys - new_keys)
    if first_analysis:
        ctx.enqueue(DRAIN_JOB)


def _place(item: MediaItem, face: MediaFace) -> Place:
    profile = next((r.profile for r in item.renditions if r.id == face.rendition_id), None)
    return Place(profile, Box(face.x, face.y, face.width, face.height), face.frame_time)


def marks_of_faces(item: MediaItem) -> list[Mark]:
    """The Manager's marks on the item's faces as they stand, with where each face was."""
    return [Mark(_place(item, f), f.manager_person_id, f.not_a_person, f.marked_by_account_id, f.marked_at)
            for f in item.faces if f.manager_person_id is not None or f.not_a_person]


def _keep_marks(marks: list[Mark], item: MediaItem) -> int:
    """Put each mark back on the new face that is clearly the same one; returns how many were kept."""
    faces = list(item.faces)
    kept = carry(marks, [_place(item, f) for f in faces])
    for at, mark in kept.items():
        face = faces[at]
        face.manager_person_id, face.not_a_person = mark.person_id, mark.not_a_person
        face.marked_by_account_id, face.marked_at = mark.marked_by_account_id, mark.marked_at
    return len(kept)


def rendition_row(entry: Stored, analysis: Analysis, at) -> Rendition:
    made = entry.made
    return Rendition(profile=entry.profile, kind=made.kind.value, mime=made.mime, extension=made.extension,
                     sha256=entry.sha256, size_bytes=entry.size_bytes, width=made.width, height=made.height,
                     duration=made.duration, frames=made.frames, fps=made.fps, has_audio=made.has_audio,
                     notes=list(made.notes) or None, made_at=at, analysis_failed=analysis.failed,
                     analysis_error=analysis.error)


def analysis_gave_up(ctx: GateContext, public_id: str, error: str) -> None:
    """Hold an item whose analysis job failed for good, with the error, so the Manager can retry it."""
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, setting_id=ANY_SETTING, for_update=True)
        if item.state is not ItemState.ANALYSING:
            return
        if item.analysed_at is None:
            notices.write(session, notices.ItemWaiting(item.setting_id, public_id), at=ctx.clock())
        item.analysis_failed = True
        item.analysis_error = f"analysis could not run ({error}); fix the cause and press retry"
        item.faces.clear()
        item.renditions.clear()
        refresh_state(session, item, ctx.clock())
        audit.record(session, AuditTag.MEDIA_HELD, actor_label="system", subject=f"media:{public_id}",
                     setting_id=item.setting_id, details={"failed": True, "error": item.analysis_error})
    ctx.enqueue(DRAIN_JOB)
