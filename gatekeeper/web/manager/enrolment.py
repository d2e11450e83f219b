"""Reference photos for face matching, accepted only while the person's face-matching consent holds."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for

from consent_db import records, templates
from consent_db.models import Role
from gatekeeper.web.current import actor, signed_in
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint, setting_id
from gatekeeper.web.manager.people import _person
from gatekeeper.web.security import allow_large_body
from gatekeeper.web.services.enrolment import ReferencePhotoRefused, enrol_from_upload
from gatekeeper.database import transaction

bp = manager_blueprint("manager_enrolment", __name__, "/manager/people")


@bp.post("/<int:person_id>/reference-photo")
def reference_photo(person_id: int):
    with transaction() as db:
        try:
            records.get_person(db, person_id, setting_id=setting_id())
        except records.UnknownPerson:
            abort(404)
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return _person(person_id, "Choose a photo to upload.", 400)
    try:
        enrol_from_upload(current_app._get_current_object(), person_id, upload.stream, actor=actor())
    except (ReferencePhotoRefused, templates.TemplateError) as exc:
        return _person(person_id, sentence(exc), 400)
    flash("The reference photo is enrolled for face matching.", "info")
    return redirect(url_for("manager_people.person", person_id=person_id))


allow_large_body("manager_enrolment.reference_photo", "MAX_REFERENCE_PHOTO_BYTES", lambda: signed_in(Role.MANAGER))
