"""Staff on a registered tablet: upload photos and videos (one request per file, so each gets its own
progress bar and answer), and see what happened to their own uploads."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, render_template, request
from werkzeug.datastructures import FileStorage

from consent_db.models import Role
from gatekeeper.app import media, policy
from gatekeeper.app.context import gate_context
from gatekeeper.media import Refused
from gatekeeper.storage.base import QuarantineError
from gatekeeper.web.current import principal, require_role, signed_in
from gatekeeper.web.security import allow_large_body

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(require_role(Role.STAFF))

RECEIVED = "Received. It is being checked now; see “My uploads” for what happens next."
STORAGE_DOWN = "The file could not be stored just now; nothing was kept. Please try again in a few minutes."


def _receive(upload: FileStorage) -> tuple[dict, int]:
    """Store one uploaded file through the gate; returns the answer for that file and its status."""
    name = upload.filename or "file"
    ctx = gate_context(current_app._get_current_object())
    with tempfile.TemporaryDirectory(dir=ctx.work_dir) as scratch:
        source = Path(scratch) / "upload"
        upload.save(source)
        try:
            item = media.upload(ctx, principal(), source, uploader_person_id=g.account.person_id)
        except Refused as exc:
            return {"name": name, "ok": False, "message": f"Not accepted: {exc.reason}"}, 422
        except QuarantineError:
            current_app.logger.exception("quarantine refused an upload")
            return {"name": name, "ok": False, "message": STORAGE_DOWN}, 503
    return {"name": name, "ok": True, "message": RECEIVED, "id": item.public_id}, 201


@bp.get("/upload")
def upload():
    return render_template("staff/upload.html", results=[], limit=current_app.config["MAX_UPLOAD_BYTES"])


@bp.post("/upload")
def upload_file():
    files = [f for f in request.files.getlist("file") if f.filename]
    if request.accept_mimetypes.best == "application/json":
        if len(files) != 1:
            return jsonify(ok=False, message="Send one file per request."), 400
        answer, status = _receive(files[0])
        return jsonify(answer), status
    # Without JavaScript the form posts every chosen file at once; each still gets its own answer.
    if not files:
        return render_template("staff/upload.html", results=[], error="Choose at least one photo or video.",
                               limit=current_app.config["MAX_UPLOAD_BYTES"]), 400
    answers = [_receive(f) for f in files]
    status = 200 if all(s == 201 for _, s in answers) else 422
    return render_template("staff/upload.html", results=[a for a, _ in answers],
                           limit=current_app.config["MAX_UPLOAD_BYTES"]), status


@bp.get("/uploads", endpoint="my_uploads")
def my_uploads_page():
    ctx = gate_context(current_app._get_current_object())
    rows = media.my_uploads(ctx, principal())
    live = {e.public_id for e in media.list_queue(ctx, principal())}
    return render_template("staff/uploads.html", rows=rows, live=live)

allow_large_body("staff.upload_file", "MAX_UPLOAD_BYTES",
                 lambda: signed_in(Role.STAFF) and policy.on_registered_tablet(principal()))
