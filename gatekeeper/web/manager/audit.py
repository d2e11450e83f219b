"""The audit log in plain sentences with names, page by page, filtered by kind, person or item; a CSV
export of the raw rows; and a button that verifies the hash chain."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, render_template, request

from consent_db import audit, records
from gatekeeper.app import audit_log, audit_words
from gatekeeper.app import people as people_service
from gatekeeper.app.audit_log import AuditFilter
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.current import principal
from gatekeeper.web.forms import page_number, sentence
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_audit", __name__, "/manager/audit")
PER_PAGE = 50
EXPORT_LIMIT = 100_000
CSV_FIELDS = ("id", "at", "tag", "actor_account_id", "actor_label", "device_id", "subject", "details", "hash")


def _uow():
    return unit_of_work(current_app._get_current_object())


def _filter() -> AuditFilter:
    """The filters from the address; a malformed one is a 400 that says which."""
    args = request.args
    kind = (args.get("kind") or args.get("tag") or "").strip().rstrip(":")
    item = (args.get("item") or "").strip()
    subject = (args.get("subject") or "").strip()
    person = (args.get("person") or "").strip()
    if len(kind) > 64 or len(item) > 64 or len(subject) > 100:
        abort(400, description="A filter is too long.")
    if person and not person.isdigit():
        abort(400, description="Choose a person from the list.")
    where = AuditFilter(kind=kind or None, person_id=int(person) if person else None, item=item or None,
                        subject=subject or None)
    try:
        where.subject_clause()
    except ValueError as exc:
        abort(400, description=sentence(exc))
    return where


def _shown(where: AuditFilter) -> dict:
    """Only the known filter keys, for links: other query keys would change the link or crash the page."""
    return {key: value for key, value in (("kind", where.kind), ("person", where.person_id), ("item", where.item),
                                          ("subject", where.subject)) if value}


def _render(report=None):
    where = _filter()
    try:
        result = audit_log.readable(_uow(), principal(), where, page=page_number(most=1_000_000),
                                     per_page=PER_PAGE)
    except records.UnknownPerson:
        abort(404)
    people = people_service.list_people(_uow(), principal(), kind=None, archived=None)
    return render_template("manager/audit.html", result=result, events=result.events, kinds=audit_words.KINDS,
                           people=people, where=where, filters=_shown(where), report=report)


@bp.get("")
def events():
    return _render()


@bp.get("/export.csv")
def export():
    where = _filter()
    rows = audit_log.events(_uow(), principal(), limit=EXPORT_LIMIT, tag_prefix=where.tag_prefix(),
                            subject=where.subject_clause())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for event in rows:
        writer.writerow([audit.canonical_json(event[f]) if f == "details" else event[f] for f in CSV_FIELDS])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


@bp.post("/verify")
def verify():
    report = audit_log.verify(_uow(), principal())
    return _render(report)
