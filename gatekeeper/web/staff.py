"""Staff on a registered tablet: upload photos and videos (one request per file, so each gets its own
progress bar and answer), and see what happened to their own uploads."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from consent_db import records
from consent_db.models import Decision, Role
from gatekeeper.app import consent as consent_service
from gatekeeper.app import media, policy
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.gate.ingest import UploadDetails, UploadDetailsRefused
from gatekeeper.media import Refused
from gatekeeper.storage.base import QuarantineError
from gatekeeper.web.current import principal, require_role, signed_in
from gatekeeper.web.forms import sentence
from gatekeeper.web.security import allow_large_body
from gatekeeper.web.services import family

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_role(Role.STAFF))

RECEIVED = "Received. It is being checked now; see “My uploads” for what happens next."
STORAGE_DOWN = "The file could not be stored just now; nothing was kept. Please try again in a few minutes."


def _details() -> UploadDetails:
    """The caption and "who is in this" sent with the file; a malformed person id is a 400."""
    raw = request.form.getlist("person")
    if not all(value.strip().isdigit() for value in raw):
        abort(400, description="Choose people from the list.")
    return UploadDetails(caption=request.form.get("caption", "")[:2000],
                         suggested_people=tuple(int(value) for value in raw))


def _receive(upload: FileStorage, details: UploadDetails) -> tuple[dict, int]:
    """Store one uploaded file through the gate; returns the answer for that file and its status."""
    name = upload.filename or "file"
    ctx = gate_context(current_app._get_current_object())
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        source = Path(scratch) / "upload"
        upload.save(source)
        try:
            item = media.upload(ctx, principal(), source, uploader_person_id=g.account.person_id, details=details)
        except UploadDetailsRefused as exc:
            return {"name": name, "ok": False, "message": f"Not accepted: {sentence(exc)}"}, 422
        except Refused as exc:
            return {"name": name, "ok": False, "message": f"Not accepted: {exc.reason}"}, 422
        except QuarantineError:
            current_app.logger.exception("quarantine refused an upload")
            return {"name": name, "ok": False, "message": STORAGE_DOWN}, 503
    return {"name": name, "ok": True, "message": RECEIVED, "id": item.public_id}, 201


def _upload_page(results: list[dict], status: int = 200, error: str | None = None):
    choices = media.upload_choices(gate_context(current_app._get_current_object()), principal())
    return render_template("staff/upload.html", results=results, error=error, people=choices,
                           limit=current_app.config["MAX_UPLOAD_BYTES"]), status


@bp.get("/upload")
def upload():
    return _upload_page([])


@bp.post("/upload")
def upload_file():
    files = [f for f in request.files.getlist("file") if f.filename]
    if request.accept_mimetypes.best == "application/json":
        if len(files) != 1:
            return jsonify(ok=False, message="Send one file per request."), 400
        answer, status = _receive(files[0], _details())
        return jsonify(answer), status
    # Without JavaScript the form posts every chosen file at once; each still gets its own answer.
    if not files:
        return _upload_page([], 400, "Choose at least one photo or video.")
    details = _details()
    answers = [_receive(f, details) for f in files]
    status = 200 if all(s == 201 for _, s in answers) else 422
    return _upload_page([a for a, _ in answers], status)


def _oldest_first() -> bool:
    return request.args.get("order") == "oldest"


@bp.get("/uploads", endpoint="my_uploads")
def my_uploads_page():
    ctx = gate_context(current_app._get_current_object())
    rows = media.my_uploads(ctx, principal(), oldest_first=_oldest_first())
    live = {e.public_id for e in media.list_queue(ctx, principal())}
    return render_template("staff/uploads.html", rows=rows, live=live, oldest_first=_oldest_first())


@bp.get("/uploads.json", endpoint="my_uploads_json")
def my_uploads_json():
    """The statuses the My uploads page polls, so it updates without a reload."""
    rows = media.my_uploads(gate_context(current_app._get_current_object()), principal(), oldest_first=_oldest_first())
    response = jsonify(order="oldest" if _oldest_first() else "newest",
                       uploads=[{"id": r.public_id, "kind": r.kind, "state": r.state, "status": r.status,
                                 "received_at": r.received_at.isoformat()} for r in rows])
    response.headers["Cache-Control"] = "private, no-store"
    return response

allow_large_body("staff.upload_file", "MAX_UPLOAD_BYTES",
                 lambda: signed_in(Role.STAFF) and policy.on_registered_tablet(principal()))


@bp.get("/consent")
def my_consent():
    return _consent_page()


def _consent_page(error: str | None = None, status: int = 200):
    try:
        summary = consent_service.own_consent(unit_of_work(current_app._get_current_object()), principal())
    except policy.NoStaffRecord as exc:
        return render_template("staff/consent.html", summary=None, error=sentence(exc)), 404
    return render_template("staff/consent.html", summary=summary, error=error), status


@bp.post("/consent")
def decide_own():
    decision = request.form.get("decision", "")
    if decision not in (Decision.GRANT.value, Decision.REFUSE.value):
        abort(400, description="Choose to give or withdraw consent.")
    try:
        purpose = family.parse_purpose(request.form.get("purpose", ""))
        consent_service.decide_for_self(unit_of_work(current_app._get_current_object()), principal(), purpose, decision)
    except policy.NoStaffRecord as exc:
        return _consent_page(sentence(exc), 404)
    except (family.FamilyError, policy.PolicyError, records.RecordsError) as exc:
        return _consent_page(sentence(exc), 400)
    flash("Thank you: your consent is recorded." if decision == Decision.GRANT.value else
          "Your consent is withdrawn. Anything already published that shows you is being taken down now.", "info")
    return redirect(url_for(".my_consent"))
