"""Reference photos for face matching, accepted only while the person's face-matching consent holds."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for

from consent_db import records
from consent_db.models import Role
from gatekeeper.app.context import gate_context
from gatekeeper.app.enrolment import ReferencePhotoRefused, enrol_from_uploads
from gatekeeper.web.current import principal, signed_in
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint
from gatekeeper.web.manager.people import _person
from gatekeeper.web.security import allow_large_body

bp = manager_blueprint("manager_enrolment", __name__, "/manager/people")


@bp.post("/<int:person_id>/reference-photo")
def reference_photo(person_id: int):
    uploads = [f for f in request.files.getlist("photo") if f.filename]
    try:
        count = enrol_from_uploads(gate_context(current_app._get_current_object()), principal(), person_id,
                                   [f.stream for f in uploads])
    except records.UnknownPerson:
        abort(404)
    except ReferencePhotoRefused as exc:
        return _person(person_id, sentence(exc), 400)
    flash(f"{count} reference photo{'' if count == 1 else 's'} enrolled for face matching.", "info")
    return redirect(url_for("manager_people.person", person_id=person_id))


allow_large_body("manager_enrolment.reference_photo", "MAX_REFERENCE_PHOTO_BYTES", lambda: signed_in(Role.MANAGER))
