"""Consent entered by the Manager: a paper form (with an evidence note) and a child's own objection."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for

from consent_db import records
from consent_db.models import Decision, GivenBy, Method
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.app.consent import ALL_PURPOSES, record_consent
from gatekeeper.app.context import unit_of_work
from gatekeeper.web.current import principal
from gatekeeper.web.forms import int_field, sentence
from gatekeeper.web.manager import manager_blueprint
from gatekeeper.web.manager.people import _person

bp = manager_blueprint("manager_consent", __name__, "/manager/people")


def _purpose(raw: str) -> int | str:
    raw = (raw or "").strip()
    if raw in (ALL_PURPOSES, FACE_MATCHING):
        return raw
    if raw.isdigit():
        return int(raw)
    raise records.InvalidRecord("Choose a channel or face matching.")


def _record(person_id: int, *, given_by: GivenBy, method: Method, decision: str, guardian_id: int | None,
            evidence: str | None, expires: str | None, success: str):
    try:
        record_consent(unit_of_work(current_app._get_current_object()), principal(), person_id=person_id,
                       purpose=_purpose(request.form.get("purpose", "")), decision=decision, given_by=given_by,
                       method=method, guardian_id=guardian_id, evidence=evidence, expires=expires)
    except records.UnknownPerson:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 400)
    flash(success, "info")
    return redirect(url_for("manager_people.person", person_id=person_id))


@bp.post("/<int:person_id>/paper-form")
def paper_form(person_id: int):
    return _record(person_id, given_by=GivenBy.MANAGER, method=Method.PAPER_FORM,
                   decision=request.form.get("decision", ""), guardian_id=int_field("guardian_id", required=False),
                   evidence=request.form.get("evidence"), expires=request.form.get("expires") or None,
                   success="The paper form is recorded.")


@bp.post("/<int:person_id>/objection")
def objection(person_id: int):
    lifting = request.form.get("action") == "lift"
    return _record(person_id, given_by=GivenBy.CHILD_OBJECTION, method=Method.DASHBOARD,
                   decision=Decision.GRANT if lifting else Decision.REFUSE, guardian_id=None,
                   evidence=request.form.get("evidence"), expires=None,
                   success="The child's objection is lifted." if lifting else "The child's objection is recorded.")
