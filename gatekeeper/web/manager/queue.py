"""The publication queue: thumbnails with face boxes, per-channel cleared or held and why, and the
Manager's actions (identify, not a person, redact, approve, reject, take down, caption, retry)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import records
from consent_db.account_admin import list_accounts
from consent_db.models import ItemState, Role
from consent_db.ukdates import parse_uk_date
from gatekeeper.faces.engine import CHILDREN_CAVEAT
from gatekeeper.app import media, people_badges
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.app.policy import PolicyError
from gatekeeper.gate.errors import GateError, IllegalTransition, StaleItem, UnknownItem
from gatekeeper.gate.queue import VIEWS, QueueQuery
from gatekeeper.database import transaction
from gatekeeper.web.current import principal
from gatekeeper.web.forms import int_field, int_list, page_number, sentence
from gatekeeper.web.manager import manager_blueprint, setting_id

bp = manager_blueprint("manager_queue", __name__, "/manager/queue")
PER_PAGE = 48
VIEW_WORDS = {"held": "Held: needs a decision", "ready": "Ready to approve", "published": "Published",
              "analysing": "Being analysed", "rejected": "Rejected", "purged": "Deleted"}


def _ctx():
    return gate_context(current_app._get_current_object())


def _query() -> tuple[QueueQuery, int]:
    """The filters and page from the address; anything malformed is a 400 that names it."""
    view = request.args.get("state") or None
    if view not in (None, *VIEWS):
        abort(400, description="Choose held, ready, published, analysing, rejected or deleted.")
    day_text = (request.args.get("day") or "").strip()
    try:
        day = parse_uk_date(day_text, "day") if day_text else None
    except records.RecordsError as exc:
        abort(400, description=sentence(exc))
    return QueueQuery(view=view, uploader_account_id=request.args.get("uploader", type=int), day=day,
                      channel_id=request.args.get("channel", type=int), include_purged=view == "purged"), page_number()


@bp.get("")
def queue():
    query, page = _query()
    result = media.queue_page(_ctx(), principal(), query, page=page, per_page=PER_PAGE)
    with transaction() as db:
        channels = records.list_channels(db, setting_id=setting_id(), archived=None)
        uploaders = {a.id: a.email for a in list_accounts(db, setting_id=setting_id()) if a.role is Role.STAFF}
    shown = {key: value for key, value in (("state", query.view), ("channel", query.channel_id),
                                           ("uploader", query.uploader_account_id),
                                           ("day", query.day.isoformat() if query.day else None)) if value}
    return render_template("manager/queue.html", result=result, entries=result.entries, channels=channels,
                           uploaders=uploaders, state=query.view, channel_id=query.channel_id,
                           uploader=query.uploader_account_id, day=query.day, shown=shown, views=VIEW_WORDS,
                           caveat=CHILDREN_CAVEAT)


def _item_page(public_id: str, error: str | None = None, status: int = 200, warnings: list[str] | None = None):
    try:
        detail = media.item_detail(_ctx(), principal(), public_id)
    except UnknownItem:
        abort(404)
    picker = people_badges.face_picker(unit_of_work(current_app._get_current_object()), principal())
    with transaction() as db:
        uploaders = {a.id: a.email for a in list_accounts(db, setting_id=setting_id())}
    return render_template("manager/item.html", item=detail, people=[row.person for row in picker],
                           missing={row.person.id: row.missing for row in picker}, error=error, warnings=warnings or [],
                           uploader=uploaders.get(detail.uploaded_by_account_id), caveat=CHILDREN_CAVEAT,
                           open=detail.state not in (ItemState.REJECTED.value, ItemState.PURGED.value)), status


@bp.get("/<public_id>")
def item(public_id: str):
    return _item_page(public_id)


def _act(public_id: str, action, success: str):
    """Run one gate action; its refusal is shown on the item's page and nothing changes."""
    try:
        result = action()
    except UnknownItem:
        abort(404)
    except PolicyError:
        abort(403)
    except GateError as exc:
        return _item_page(public_id, sentence(exc), 409 if isinstance(exc, (StaleItem, IllegalTransition)) else 400)
    flash(success if not callable(success) else success(result), "info")
    return redirect(url_for(".item", public_id=public_id))


@bp.post("/<public_id>/identify")
def identify(public_id: str):
    face, person = int_field("face_index"), int_field("person_id")
    return _act(public_id, lambda: media.identify(_ctx(), principal(), public_id, face, person),
                f"Face {face + 1} is identified.")


@bp.post("/<public_id>/not-a-person")
def not_a_person(public_id: str):
    face = int_field("face_index")
    return _act(public_id, lambda: media.not_a_person(_ctx(), principal(), public_id, face),
                f"Face {face + 1} is marked as not a person.")


@bp.post("/<public_id>/redact")
def redact(public_id: str):
    faces = int_list("face_index")
    return _act(public_id, lambda: media.redact(_ctx(), principal(), public_id, faces),
                "The face is covered for good; the photo is being checked again.")


@bp.post("/<public_id>/people")
def people_in_picture(public_id: str):
    people = int_list("person_id")
    return _act(public_id, lambda: media.people_in_picture(_ctx(), principal(), public_id, people),
                "The people in the picture are recorded.")


@bp.post("/<public_id>/approve")
def approve(public_id: str):
    channels = int_list("channel_id")
    return _act(public_id, lambda: media.approve(_ctx(), principal(), public_id, channels),
                lambda done: "Approved; publishing now." if done else "It is already on those channels.")


@bp.post("/<public_id>/reject")
def reject(public_id: str):
    return _act(public_id, lambda: media.reject(_ctx(), principal(), public_id),
                "Rejected: it was taken off every channel and deleted.")


@bp.post("/<public_id>/take-down")
def take_down(public_id: str):
    channel = int_field("channel_id", required=False)
    return _act(public_id, lambda: media.take_down(_ctx(), principal(), public_id, channel_id=channel),
                lambda count: f"Taken down from {count} channel{'' if count == 1 else 's'}.")


@bp.post("/<public_id>/caption")
def caption(public_id: str):
    text = request.form.get("caption", "")
    if len(text) > 500:
        return _item_page(public_id, "A caption can be at most 500 characters.", 400)
    try:
        warnings = media.caption(_ctx(), principal(), public_id, text)
    except UnknownItem:
        abort(404)
    except PolicyError:
        abort(403)
    except GateError as exc:
        return _item_page(public_id, sentence(exc), 400)
    if warnings:
        return _item_page(public_id, warnings=[sentence(w) for w in warnings])
    flash("The caption is saved.", "info")
    return redirect(url_for(".item", public_id=public_id))


@bp.post("/<public_id>/audio")
def audio(public_id: str):
    keep = request.form.get("keep") == "yes"
    return _act(public_id, lambda: media.keep_audio(_ctx(), principal(), public_id, keep),
                "The sound will be published." if keep else "The sound will be left out.")


@bp.post("/<public_id>/retry")
def retry(public_id: str):
    return _act(public_id, lambda: media.retry_analysis(_ctx(), principal(), public_id),
                "The item is being checked again.")
