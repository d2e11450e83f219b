"""Consent entered by the Manager: a paper form (with an evidence note) and a child's own objection."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from consent_db import records
from consent_db.consent import record_decision
from consent_db.models import Decision, GivenBy, Method
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import actor
from gatekeeper.web.forms import int_field, sentence
from gatekeeper.web.manager import manager_blueprint, setting_id
from gatekeeper.web.manager.people import _person
from gatekeeper.web.services import consent_effects
from gatekeeper.web.services.family import FamilyError, parse_purpose

bp = manager_blueprint("manager_consent", __name__, "/manager/people")


def _purposes(raw: str, session) -> list:
    if raw == "all":
        from consent_db.verdicts import FACE_MATCHING

        return [c.id for c in records.list_channels(session, setting_id=setting_id())] + [FACE_MATCHING]
    return [parse_purpose(raw)]


def _record(person_id: int, *, given_by: GivenBy, method: Method, decision: str, guardian_id: int | None,
            evidence: str | None, expires: str | None, success: str):
    at = now()
    try:
        with transaction() as db:
            records.get_person(db, person_id, setting_id=setting_id())
            changes = [
                record_decision(db, person_id=person_id, purpose=purpose, decision=decision, given_by=given_by,
                                guardian_id=guardian_id, method=method, evidence=evidence,
                                expires=records.parse_date(expires, "expiry date"), at=at,
                                actor_account_id=actor().account_id, device_id=actor().device_id)
                for purpose in _purposes(request.form.get("purpose", ""), db)
            ]
    except records.UnknownPerson:
        abort(404)
    except (records.RecordsError, FamilyError) as exc:
        return _person(person_id, sentence(exc), 400)
    consent_effects.after_commit(changes)
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
