"""The entrance display: a paired screen shows its channel's slideshow, asking the gate on every request.

The page polls the list every few seconds and each picture request is decided again, so a
withdrawal clears the screen within one poll. Nothing is cached by the browser (no-store).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, g, jsonify, render_template, url_for

from gatekeeper.app import showing
from gatekeeper.app.context import gate_context
from gatekeeper.app.policy import PolicyError
from gatekeeper.app.principal import Principal, Role
from gatekeeper.gate.errors import NotInQuarantine

bp = Blueprint("display", __name__, url_prefix="/display")
POLL_SECONDS = 3
DEFAULT_SLIDE_SECONDS = 8


@bp.before_request
def only_a_paired_display():
    if g.get("display") is None:
        abort(404)
    return None


def _principal() -> Principal:
    return Principal(Role.DEVICE, g.display.setting_id, device_id=g.display.id)


def _ctx():
    return gate_context(current_app._get_current_object())


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
def show():
    try:
        seconds = showing.slide_seconds(_ctx(), _principal(), DEFAULT_SLIDE_SECONDS)
    except PolicyError:
        abort(404)
    return _no_store(Response(render_template("display/show.html", poll_seconds=POLL_SECONDS,
                                              slide_seconds=seconds)))


@bp.get("/slides.json")
def slides():
    try:
        items = showing.display_items(_ctx(), _principal())
    except PolicyError:
        abort(404)
    return _no_store(jsonify({
        "poll_seconds": POLL_SECONDS,
        "slides": [{"id": item.object_name, "kind": item.kind,
                    "url": url_for(".picture", object_name=item.object_name)} for item in items],
    }))


@bp.get("/picture/<object_name>")
def picture(object_name: str):
    ctx = _ctx()
    try:
        item = showing.display_item(ctx, _principal(), object_name)
        body = showing.open_item(ctx, item)
    except (PolicyError, showing.NotServed, NotInQuarantine):
        abort(404)
    response = Response(body, mimetype=item.mime, direct_passthrough=True)
    if item.size is not None:
        response.content_length = item.size
    response.headers["Content-Disposition"] = "inline"
    return _no_store(response)
