"""The parent and carer portal: their own children only, a switch per channel, face matching on its own,
history, a JSON download, and withdrawing everything in one step."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import records
from consent_db.models import Decision, Role
from consent_db.timeutil import now
from gatekeeper.app import channels as channel_service
from gatekeeper.app import consent as consent_service
from gatekeeper.app import family_photos, policy, showing
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.gate.access import item_chunks
from gatekeeper.gate.errors import NotInQuarantine, UnknownItem
from gatekeeper.database import transaction
from gatekeeper.web.current import principal, require_role
from gatekeeper.web.forms import sentence
from gatekeeper.web.services import family
from gatekeeper.app.people_view import person_page

bp = Blueprint("parents", __name__, url_prefix="/family")
bp.before_request(require_role(Role.PARENT))


@bp.get("", endpoint="family")
def family_home():
    with transaction() as db:
        children = family.children_of(db, principal())
    return render_template("parents/family.html", children=children)


def _own_child(child_id: int) -> None:
    """404 unless the child is linked to the signed-in guardian; checked before anything else is read."""
    with transaction() as db:
        try:
            family.child_for(db, principal(), child_id)
        except family.NotYourChild:
            abort(404)


def _ctx():
    return gate_context(current_app._get_current_object())


def _child_page(child_id: int, error: str | None = None, status: int = 200):
    at = now()
    with transaction() as db:
        try:
            child, link = family.child_for(db, principal(), child_id)
            lines = family.overview(db, principal(), child_id, at=at)
        except family.NotYourChild:
            abort(404)
        page = person_page(db, child_id, setting_id=child.setting_id, at=at)
    channels = channel_service.parent_lines(unit_of_work(current_app._get_current_object()), principal())
    try:
        gallery = showing.gallery_items(_ctx(), principal(), child_id)
    except policy.PolicyError:
        gallery = []  # no parental responsibility: no photos
    return render_template("parents/child.html", child=child, link=link, lines=lines, history=page.history,
                           channels=channels, gallery=gallery, error=error), status


@bp.get("/child/<int:child_id>")
def child(child_id: int):
    return _child_page(child_id)


@bp.post("/child/<int:child_id>/consent")
def decide(child_id: int):
    _own_child(child_id)
    decision = request.form.get("decision", "")
    if decision not in (Decision.GRANT.value, Decision.REFUSE.value):
        abort(400, description="Choose to give or withdraw consent.")
    try:
        purpose = family.parse_purpose(request.form.get("purpose", ""))
        if decision == Decision.GRANT.value and request.form.get("confirmed") != "yes":
            irrevocable = channel_service.cannot_take_back(unit_of_work(current_app._get_current_object()),
                                                           principal(), purpose)
            if irrevocable is not None:
                return _confirm_page(child_id, irrevocable)
        consent_service.decide_for_child(unit_of_work(current_app._get_current_object()), principal(), child_id,
                                         purpose, decision)
    except policy.NotYourChild:
        abort(404)
    except (family.FamilyError, policy.PolicyError, records.RecordsError) as exc:
        return _child_page(child_id, sentence(exc), 400)
    if decision == Decision.GRANT.value:
        flash("Thank you: your consent is recorded.", "info")
    else:
        flash("Your consent is withdrawn. Anything already published that shows your child is being taken down now.",
              "info")
    return redirect(url_for(".child", child_id=child_id))


def _confirm_page(child_id: int, channel):
    with transaction() as db:
        try:
            child, _ = family.child_for(db, principal(), child_id)
        except family.NotYourChild:
            abort(404)
    return render_template("parents/confirm.html", child=child, channel=channel)


@bp.get("/child/<int:child_id>/gallery/<object_name>")
def gallery_file(child_id: int, object_name: str):
    """One photo or video of the child's gallery, decided again now; ?download=1 saves it."""
    ctx = _ctx()
    try:
        item = showing.gallery_item(ctx, principal(), child_id, object_name)
        body = showing.open_item(ctx, item)
    except (policy.PolicyError, showing.NotServed, NotInQuarantine):
        abort(404)
    response = Response(body, mimetype=item.mime, direct_passthrough=True)
    if item.size is not None:
        response.content_length = item.size
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f"{disposition}; filename={item.object_name}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/child/<int:child_id>/withdraw-all")
def withdraw_all(child_id: int):
    _own_child(child_id)
    try:
        consent_service.withdraw_everything(unit_of_work(current_app._get_current_object()), principal(), child_id)
    except policy.NotYourChild:
        abort(404)
    except (policy.PolicyError, records.RecordsError) as exc:
        return _child_page(child_id, sentence(exc), 400)
    flash("Every consent for your child is withdrawn, including face matching. Anything published is being "
          "taken down now.", "info")
    return redirect(url_for(".child", child_id=child_id))


@bp.get("/child/<int:child_id>/data.json")
def download(child_id: int):
    with transaction() as db:
        try:
            data = family.export(db, principal(), child_id, at=now())
        except family.NotYourChild:
            abort(404)
    return Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename=child-{child_id}-data.json"})


def _ctx():
    return gate_context(current_app._get_current_object())


@bp.get("/photos/<int:publication_id>")
def photo(publication_id: int):
    try:
        found = family_photos.family_photo(_ctx(), principal(), publication_id)
    except (UnknownItem, policy.PolicyError):
        abort(404)
    return render_template("parents/photo.html", photo=found)


@bp.get("/photos/<int:publication_id>/file")
def photo_file(publication_id: int):
    ctx = _ctx()
    try:
        found = family_photos.family_photo(ctx, principal(), publication_id)
        body = item_chunks(ctx, found.key, expected=found.size)
    except (UnknownItem, NotInQuarantine, policy.PolicyError):
        abort(404)
    response = Response(body, mimetype=found.mime, direct_passthrough=True)
    response.content_length = found.size
    response.headers["Cache-Control"] = "private, no-store"
    return response
