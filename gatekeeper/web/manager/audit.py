"""The audit log: newest first with filters, a CSV export, and a button that verifies the hash chain."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, render_template, request

from consent_db import audit
from consent_db.audit import AuditTag
from gatekeeper.app import audit_log
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.current import principal
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_audit", __name__, "/manager/audit")
PAGE = 200
EXPORT_LIMIT = 100_000
CSV_FIELDS = ("id", "at", "tag", "actor_account_id", "actor_label", "device_id", "subject", "details", "hash")


def _filters() -> dict:
    tag = (request.args.get("tag") or "").strip()
    subject = (request.args.get("subject") or "").strip()
    if len(tag) > 64 or len(subject) > 100:
        abort(400, description="A filter is too long.")
    return {"tag_prefix": tag or None, "subject": subject or None}


def _shown_filters() -> dict:
    """Only the known filter keys, for the form and the CSV link: other query keys (url_for's _external,
    _scheme, endpoint...) would change the link or crash the page."""
    found = _filters()
    return {key: value for key, value in (("tag", found["tag_prefix"]), ("subject", found["subject"])) if value}


def _uow():
    return unit_of_work(current_app._get_current_object())


def _events(limit: int) -> list:
    return audit_log.events(_uow(), principal(), limit=limit, **_filters())


@bp.get("")
def events():
    tags = sorted({tag.value.split(":")[0] for tag in AuditTag})
    return render_template("manager/audit.html", events=_events(PAGE), tags=tags, filters=_shown_filters(), report=None)


@bp.get("/export.csv")
def export():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for event in _events(EXPORT_LIMIT):
        writer.writerow([audit.canonical_json(event[f]) if f == "details" else event[f] for f in CSV_FIELDS])
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit-log.csv"})


@bp.post("/verify")
def verify():
    report = audit_log.verify(_uow(), principal())
    tags = sorted({tag.value.split(":")[0] for tag in AuditTag})
    return render_template("manager/audit.html", events=_events(PAGE), tags=tags, filters={}, report=report)
