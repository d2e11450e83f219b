"""Quarantined media, thumbnails and video frames, only to those who may see them: the Manager (their
setting's items) and the staff member who uploaded the item (on a registered tablet). Nobody else."""
from __future__ import annotations

import math

from flask import Blueprint, Response, abort, current_app, g, request

from consent_db.models import Role
from gatekeeper.app.context import gate_context
from gatekeeper.gate.access import item_chunks, item_facts, thumbnail
from gatekeeper.gate.errors import NotInQuarantine, UnknownItem
from gatekeeper.gate.items import get_item
from gatekeeper.web.current import signed_in
from gatekeeper.web.services.frames import NoSuchFrame, frame_jpeg

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.before_request
def only_manager_or_staff():
    if not (signed_in(Role.MANAGER) or signed_in(Role.STAFF)):
        abort(404 if signed_in() else 403)
    return None


def _allowed(public_id: str) -> None:
    """404 unless the item is in the caller's setting and (for staff) their own upload."""
    ctx = gate_context(current_app._get_current_object())
    with ctx.sessions() as session:
        try:
            item = get_item(session, public_id, setting_id=g.account.setting_id)
        except UnknownItem:
            abort(404)
        if g.account.role is Role.STAFF and item.uploaded_by_account_id != g.account.id:
            abort(404)


def _image(data: bytes, mime: str) -> Response:
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/<public_id>/thumbnail")
def item_thumbnail(public_id: str):
    _allowed(public_id)
    try:
        data = thumbnail(gate_context(current_app._get_current_object()), public_id,
                         setting_id=g.account.setting_id)
    except (UnknownItem, NotInQuarantine):
        abort(404)
    return _image(data, "image/jpeg")


@bp.get("/<public_id>/file")
def item_file(public_id: str):
    """The whole file, or one byte range of it (videos seek), streamed in verified chunks."""
    _allowed(public_id)
    ctx = gate_context(current_app._get_current_object())
    try:
        facts = item_facts(ctx, public_id, setting_id=g.account.setting_id)
        wanted = request.range.range_for_length(facts.size) if request.range and facts.size is not None else None
        if request.range and facts.size is not None and wanted is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{facts.size}"})
        start, stop = wanted or (0, facts.size)
        body = item_chunks(ctx, facts.key, start=start, stop=stop if wanted else None, expected=stop)
    except (UnknownItem, NotInQuarantine):
        abort(404)
    response = Response(body, mimetype=facts.mime, status=206 if wanted else 200, direct_passthrough=True)
    if stop is not None:
        # A body cut short by a failure mid-way is then seen as incomplete by every client.
        response.content_length = stop - start
    if wanted:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{facts.size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/<public_id>/frame")
def item_frame(public_id: str):
    if g.account.role is not Role.MANAGER:
        abort(404)
    _allowed(public_id)
    try:
        seconds = float(request.args.get("t", ""))
    except ValueError:
        abort(400, description="The time must be a number of seconds.")
    if not math.isfinite(seconds) or seconds < 0:
        abort(400, description="The time must be a number of seconds.")
    try:
        data = frame_jpeg(gate_context(current_app._get_current_object()), public_id, seconds,
                          setting_id=g.account.setting_id)
    except (UnknownItem, NotInQuarantine, NoSuchFrame):
        abort(404)
    return _image(data, "image/jpeg")
