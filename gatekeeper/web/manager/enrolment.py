"""Reference photos for face matching, accepted only while the person's face-matching consent holds."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for

from consent_db import records
from consent_db.models import Role
from gatekeeper.web.current import actor, signed_in
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint, setting_id
from gatekeeper.web.manager.people import _person
from gatekeeper.web.security import allow_large_body
from gatekeeper.web.services.enrolment import ReferencePhotoRefused, enrol_from_uploads
from gatekeeper.database import transaction

bp = manager_blueprint("manager_enrolment", __name__, "/manager/people")


@bp.post("/<int:person_id>/reference-photo")
def reference_photo(person_id: int):
    with transaction() as db:
        try:
            records.get_person(db, person_id, setting_id=setting_id())
        except records.UnknownPerson:
            abort(404)
    uploads = [f for f in request.files.getlist("photo") if f.filename]
    if not uploads:
        return _person(person_id, "Choose a photo to upload.", 400)
    try:
        count = enrol_from_uploads(current_app._get_current_object(), person_id, [f.stream for f in uploads],
                                   setting_id=setting_id(), actor=actor())
    except ReferencePhotoRefused as exc:
        return _person(person_id, sentence(exc), 400)
    flash(f"{count} reference photo{'' if count == 1 else 's'} enrolled for face matching.", "info")
    return redirect(url_for("manager_people.person", person_id=person_id))


allow_large_body("manager_enrolment.reference_photo", "MAX_REFERENCE_PHOTO_BYTES", lambda: signed_in(Role.MANAGER))
