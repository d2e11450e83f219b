"""Staff on a registered tablet: upload photos and videos (in resumable chunks, each file with its own
progress bar and answer; small files in one form post without JavaScript), and see what happened to
their own uploads."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage

from consent_db import records
from consent_db.models import Decision, Role
from gatekeeper.app import consent as consent_service
from gatekeeper.app import media, policy, uploads
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.gate.ingest import UploadDetails, UploadDetailsRefused
from gatekeeper.media import Refused
from gatekeeper.storage import chunks
from gatekeeper.storage.base import QuarantineError
from gatekeeper.web.current import principal, require_role, signed_in
from gatekeeper.web.forms import page_number, sentence
from gatekeeper.web.security import allow_large_body
from gatekeeper.web.services import family

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_role(Role.STAFF))

RECEIVED = "Received. It is being checked now; see “My uploads” for what happens next."
STORAGE_DOWN = "The file could not be stored just now; nothing was kept. Please try again in a few minutes."


def _details() -> UploadDetails:
    """The caption and "who is in this" sent with the file (a form, or the JSON of a chunked upload);
    a malformed person id is a 400."""
    body = request.get_json(silent=True) if request.is_json else None
    if isinstance(body, dict):
        caption, raw = body.get("caption") or "", body.get("people") or []
        if not isinstance(caption, str) or not isinstance(raw, list):
            abort(400, description="Send the caption as text and the people as a list.")
        raw = [str(value) for value in raw]
    else:
        caption, raw = request.form.get("caption", ""), request.form.getlist("person")
    if not all(value.strip().isdigit() for value in raw):
        abort(400, description="Choose people from the list.")
    return UploadDetails(caption=caption[:2000], suggested_people=tuple(int(value) for value in raw))


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


def _page(results: list, error: str | None = None, status: int = 200):
    config = current_app.config
    choices = media.upload_choices(gate_context(current_app._get_current_object()), principal())
    return render_template("staff/upload.html", results=results, error=error, people=choices,
                           limit=config["MAX_UPLOAD_BYTES"], form_limit=config["UPLOAD_FORM_MAX_BYTES"],
                           chunk_bytes=config["UPLOAD_CHUNK_BYTES"]), status


@bp.get("/upload")
def upload():
    return _page([])


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
        return _page([], "Choose at least one photo or video.", 400)
    details = _details()
    answers = [_receive(f, details) for f in files]
    return _page([a for a, _ in answers], status=200 if all(s == 201 for _, s in answers) else 422)


@bp.errorhandler(413)
def too_large(error):
    """Say how much the route takes and what to do instead (also when refused before the body is read)."""
    config = current_app.config
    if request.endpoint == "staff.upload_file":
        megabytes = config["UPLOAD_FORM_MAX_BYTES"] // (1024 * 1024)
        message = (f"Not accepted: without JavaScript, files up to {megabytes} MB in all can be sent at once. "
                   "Turn JavaScript on in the browser to send larger files (up to "
                   f"{config['MAX_UPLOAD_BYTES'] // (1024 * 1024)} MB each), or send fewer at a time.")
    elif request.endpoint == "staff.put_chunk":
        message = f"A chunk can be at most {config['UPLOAD_CHUNK_BYTES'] // (1024 * 1024)} MB; nothing was kept."
    else:
        message = "The request is larger than this service accepts; nothing was kept."
    if request.accept_mimetypes.best == "application/json" or request.endpoint != "staff.upload_file":
        return jsonify(ok=False, error=message), 413
    return render_template("error.html", status=413, title="Too large", text=message), 413


# Chunked uploads: the page's script sends each file in chunks of UPLOAD_CHUNK_BYTES and can resume.

CHUNK_ERRORS: dict[type, int] = {
    chunks.UnknownUpload: 404,
    chunks.TooLarge: 413,
    uploads.UnsupportedType: 415,
    chunks.ChunkRefused: 400,
    chunks.ChunkConflict: 409,
    chunks.Incomplete: 409,
    chunks.PartDamaged: 409,
    chunks.TooManyUploads: 429,
    policy.PolicyError: 403,
}


def _refusal(exc: Exception):
    status = next(code for kind, code in CHUNK_ERRORS.items() if isinstance(exc, kind))
    message = str(exc)
    return jsonify(ok=False, error=message[0].upper() + message[1:] + "."), status


def _progress(found: uploads.Progress, status: int = 200):
    info = found.info
    return jsonify(id=info.upload_id, name=info.name, size=info.size, chunk_bytes=info.chunk_bytes,
                   received=found.received, received_bytes=found.received_bytes, complete=found.complete), status


def _read_chunk(cap: int) -> bytes:
    """The raw request body, read with a hard cap (never parsed as a form); aborts 411/413/415."""
    if request.mimetype != "application/octet-stream":
        abort(415, description="Send a chunk as application/octet-stream.")
    if request.content_length is None:
        abort(411, description="Send a chunk with its Content-Length.")
    if request.content_length > cap:
        abort(413)
    # Read exactly the announced length, never past it: the announced length is already held to the cap.
    parts, size, wanted = [], 0, request.content_length
    while size < wanted:
        part = request.stream.read(min(64 * 1024, wanted - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


@bp.post("/upload/start")
def start_upload():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("size"), int) or isinstance(body.get("size"), bool):
        return jsonify(ok=False, error="Send the file's name, size (bytes) and type as JSON."), 400
    try:
        found = uploads.start(gate_context(current_app._get_current_object()), principal(),
                              name=str(body.get("name") or ""), size=body["size"], mime=str(body.get("type") or ""),
                              details=_details())
    except (chunks.ChunkError, policy.PolicyError) as exc:
        return _refusal(exc)
    except UploadDetailsRefused as exc:
        return jsonify(ok=False, error=f"Not accepted: {sentence(exc)}"), 422
    return _progress(found, 201)


@bp.put("/upload/<upload_id>/chunks/<int:index>")
def put_chunk(upload_id: str, index: int):
    offset = request.args.get("offset", type=int)
    if offset is None:
        return jsonify(ok=False, error="Say where the chunk starts (?offset=bytes)."), 400
    data = _read_chunk(int(current_app.config["UPLOAD_CHUNK_BYTES"]))
    ctx = gate_context(current_app._get_current_object())
    try:
        new = uploads.put_chunk(ctx, principal(), upload_id, index, offset, data)
        found = uploads.progress(ctx, principal(), upload_id)
    except (chunks.ChunkError, policy.PolicyError) as exc:
        return _refusal(exc)
    return _progress(found, 201 if new else 200)


@bp.get("/upload/<upload_id>")
def upload_progress(upload_id: str):
    try:
        found = uploads.progress(gate_context(current_app._get_current_object()), principal(), upload_id)
    except (chunks.ChunkError, policy.PolicyError) as exc:
        return _refusal(exc)
    return _progress(found)


@bp.post("/upload/<upload_id>/finish")
def finish_upload(upload_id: str):
    ctx = gate_context(current_app._get_current_object())
    try:
        info, item = uploads.finish(ctx, principal(), upload_id, uploader_person_id=g.account.person_id,
                                    details=_details())
    except (chunks.ChunkError, policy.PolicyError) as exc:
        return _refusal(exc)
    except UploadDetailsRefused as exc:
        return jsonify(ok=False, message=f"Not accepted: {sentence(exc)}"), 422
    except Refused as exc:
        return jsonify(ok=False, message=f"Not accepted: {exc.reason}"), 422
    except QuarantineError:
        current_app.logger.exception("quarantine refused a chunked upload")
        return jsonify(ok=False, message=STORAGE_DOWN), 503
    return jsonify(name=info.name, ok=True, message=RECEIVED, id=item.public_id), 201


@bp.delete("/upload/<upload_id>")
def cancel_upload(upload_id: str):
    try:
        uploads.cancel(gate_context(current_app._get_current_object()), principal(), upload_id)
    except (chunks.ChunkError, policy.PolicyError) as exc:
        return _refusal(exc)
    return "", 204


def _oldest_first() -> bool:
    return request.args.get("order") == "oldest"


UPLOADS_PER_PAGE = 50


def _uploads_page():
    """The page of My uploads the address asks for; a malformed page number is a 400 that says so."""
    return media.my_uploads(gate_context(current_app._get_current_object()), principal(), page=page_number(),
                            per_page=UPLOADS_PER_PAGE, oldest_first=_oldest_first())


@bp.get("/uploads", endpoint="my_uploads")
def my_uploads_page():
    result = _uploads_page()
    # A rejected upload's files are gone: it keeps its line, without a picture.
    live = {upload.public_id for upload in result.uploads if upload.state != "purged"}
    return render_template("staff/uploads.html", result=result, rows=result.uploads, live=live,
                           oldest_first=_oldest_first())


@bp.get("/uploads.json", endpoint="my_uploads_json")
def my_uploads_json():
    """The statuses the My uploads page polls (the same page of them), so it updates without a reload."""
    result = _uploads_page()
    response = jsonify(order="oldest" if _oldest_first() else "newest", page=result.page, pages=result.pages,
                       total=result.total,
                       uploads=[{"id": r.public_id, "kind": r.kind, "state": r.state, "status": r.status,
                                 "received_at": r.received_at.isoformat()} for r in result.uploads])
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _on_tablet() -> bool:
    return signed_in(Role.STAFF) and policy.on_registered_tablet(principal())


allow_large_body("staff.upload_file", "UPLOAD_FORM_MAX_BYTES", _on_tablet)
allow_large_body("staff.put_chunk", "UPLOAD_CHUNK_BYTES", _on_tablet)
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
