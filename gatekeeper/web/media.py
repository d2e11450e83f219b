"""Quarantined media, thumbnails and video frames, only to those who may see them: the Manager (their
setting's items) and the staff member who uploaded the item (on a registered tablet). Nobody else."""
from __future__ import annotations

import math

from flask import Blueprint, Response, abort, current_app, g, request

from consent_db.models import Role
from gatekeeper.app import media
from gatekeeper.app.context import gate_context
from gatekeeper.app.policy import PolicyError
from gatekeeper.gate.access import item_chunks
from gatekeeper.gate.errors import NotInQuarantine, UnknownItem
from gatekeeper.web.current import principal, signed_in
from gatekeeper.web.services.frames import NoSuchFrame, frame_jpeg

bp = Blueprint("media", __name__, url_prefix="/media")


@bp.before_request
def only_manager_or_staff():
    if not (signed_in(Role.MANAGER) or signed_in(Role.STAFF)):
        abort(404 if signed_in() else 403)
    return None


def _ctx():
    return gate_context(current_app._get_current_object())


def _image(data: bytes, mime: str) -> Response:
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/<public_id>/thumbnail")
def item_thumbnail(public_id: str):
    try:
        data = media.thumbnail(_ctx(), principal(), public_id)
    except (UnknownItem, NotInQuarantine, PolicyError):
        abort(404)
    return _image(data, "image/jpeg")


@bp.get("/<public_id>/file")
def item_file(public_id: str):
    """The whole file, or one byte range of it (videos seek), streamed in verified chunks."""
    ctx = _ctx()
    try:
        facts = media.view_facts(ctx, principal(), public_id)
        wanted = request.range.range_for_length(facts.size) if request.range and facts.size is not None else None
        if request.range and facts.size is not None and wanted is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{facts.size}"})
        start, stop = wanted or (0, facts.size)
        body = item_chunks(ctx, facts.key, start=start, stop=stop if wanted else None, expected=stop)
    except (UnknownItem, NotInQuarantine, PolicyError):
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
    try:
        media.view_facts(_ctx(), principal(), public_id)
    except (UnknownItem, NotInQuarantine, PolicyError):
        abort(404)
    try:
        seconds = float(request.args.get("t", ""))
    except ValueError:
        abort(400, description="The time must be a number of seconds.")
    if not math.isfinite(seconds) or seconds < 0:
        abort(400, description="The time must be a number of seconds.")
    try:
        data = frame_jpeg(_ctx(), public_id, seconds, setting_id=g.account.setting_id)
    except (UnknownItem, NotInQuarantine, NoSuchFrame):
        abort(404)
    return _image(data, "image/jpeg")
