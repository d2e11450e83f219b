"""Receiving an upload (sanitise, encrypt into quarantine, record) and analysing it (a job)."""
from __future__ import annotations

import logging
import secrets
import tempfile
from pathlib import Path

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import ItemKind, ItemState, MediaItem
from consent_db.records import default_setting
from gatekeeper.faces.engine import failed
from gatekeeper.faces.gallery import Gallery
from gatekeeper.faces.models import ModelError
from gatekeeper.faces.plugins import PluginError
from gatekeeper.faces.service import analyse_file, gallery_for_setting
from gatekeeper.gate.context import GateContext
from gatekeeper.gate.evaluate import refresh_state
from gatekeeper.gate.items import face_rows, file_sha256, get_item
from gatekeeper.gate.lifecycle import move
from gatekeeper.job_names import JobName
from gatekeeper.media import sanitize_file

log = logging.getLogger(__name__)
ANALYSE_JOB = JobName.ANALYSE_ITEM


def new_public_id() -> str:
    # 128 random bits: item ids in URLs and quarantine keys cannot be guessed or counted.
    return secrets.token_hex(16)


def receive_upload(ctx: GateContext, source: Path, *, uploader: Actor, uploader_person_id: int | None = None,
                   setting_id: int | None = None) -> MediaItem:
    """Sanitise, quarantine and record an upload, then queue its analysis.

    Raises gatekeeper.media.Refused (nothing is kept) and QuarantineError (storage failed).
    """
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
    """Find and match the item's faces, then decide ready or held; does nothing unless it is analysing.

    Raises QuarantineError when the quarantined copy cannot be read (the job retries).
    """
    with ctx.sessions() as session:
        item = get_item(session, public_id)
        if item.state is not ItemState.ANALYSING:
            return
        setting_id = item.setting_id
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        path = Path(scratch) / f"{public_id}.{item.extension}"
        ctx.store.fetch_to(public_id, path)
        try:
            engine = ctx.engine()
        except (PluginError, ModelError) as exc:
            analysis = failed(str(exc))
        else:
            analysis = analyse_file(path, engine, _gallery(ctx, setting_id))
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, for_update=True)
        if item.state is not ItemState.ANALYSING:
            return
        item.faces.clear()
        session.flush()
        item.faces.extend(face_rows(analysis))
        item.analysed_at = ctx.clock()
        item.analysis_failed = analysis.failed
        item.analysis_error = analysis.error
        item.analysis_engine = analysis.engine or None
        decisions = refresh_state(session, item, ctx.clock())
        audit.record(session, AuditTag.MEDIA_ANALYSED if item.state is ItemState.READY else AuditTag.MEDIA_HELD,
                     actor_label="system", subject=f"media:{public_id}", setting_id=item.setting_id,
                     details={"faces": len(analysis.faces), "failed": analysis.failed, "error": analysis.error,
                              "cleared_channels": sorted(c for c, d in decisions.items() if d.cleared)})


def analysis_gave_up(ctx: GateContext, public_id: str, error: str) -> None:
    """Hold an item whose analysis job failed for good, with the error, so the Manager can retry it."""
    with ctx.sessions.begin() as session:
        item = get_item(session, public_id, for_update=True)
        if item.state is not ItemState.ANALYSING:
            return
        item.analysis_failed = True
        item.analysis_error = f"analysis could not run ({error}); fix the cause and press retry"
        item.faces.clear()
        refresh_state(session, item, ctx.clock())
        audit.record(session, AuditTag.MEDIA_HELD, actor_label="system", subject=f"media:{public_id}",
                     setting_id=item.setting_id, details={"failed": True, "error": item.analysis_error})
