"""People: children and staff, the class-list import, leaving dates, guardians and parental responsibility."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from consent_db import importing, records
from consent_db.models import PersonKind
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.faces.engine import CHILDREN_CAVEAT
from gatekeeper.web.current import actor
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint, setting_id
from gatekeeper.web.services import guardian_link
from gatekeeper.web.services.people_view import person_page

bp = manager_blueprint("manager_people", __name__, "/manager/people")
MAX_CSV_BYTES = 512 * 1024


def _list(error: str | None = None, status: int = 200, form: dict | None = None, problems: list[str] | None = None):
    kind = request.args.get("kind") or None
    if kind not in (None, "child", "staff"):
        abort(400, description="Kind must be child or staff.")
    with transaction() as db:
        people = records.list_people(db, setting_id=setting_id(), kind=PersonKind(kind) if kind else None)
    return render_template("manager/people.html", people=people, kind=kind, error=error, form=form or {},
                           problems=problems or []), status


@bp.get("")
def people():
    return _list()


@bp.post("")
def add_person():
    form = request.form
    try:
        fields = records.check_person(kind=form.get("kind", ""), first_name=form.get("first_name", ""),
                                      surname=form.get("surname", ""), born=form.get("born"),
                                      starts=form.get("starts"), leaves=form.get("leaves"), room=form.get("room"))
        with transaction() as db:
            person = records.add_person(db, fields, setting_id=setting_id(), actor=actor(), source="dashboard")
    except records.RecordsError as exc:
        return _list(sentence(exc), 400, form=form)
    flash(f"{person.full_name} was added.", "info")
    return redirect(url_for(".person", person_id=person.id))


@bp.post("/import")
def import_csv():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _list("Choose a CSV file to import.", 400)
    raw = upload.stream.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        return _list("The file is too large for a class list (over 512 KB).", 400)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _list("The file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8.", 400)
    try:
        with transaction() as db:
            added = importing.import_people_csv(db, text, setting_id=setting_id(), actor=actor())
    except importing.CsvImportError as exc:
        return _list("Nothing was imported; please correct these rows and try again.", 400, problems=exc.problems)
    flash(f"{len(added)} people were imported.", "info")
    return redirect(url_for(".people"))


def _person(person_id: int, error: str | None = None, status: int = 200, **extra):
    with transaction() as db:
        try:
            page = person_page(db, person_id, setting_id=setting_id(), at=now())
        except records.UnknownPerson:
            abort(404)
        channels = records.list_channels(db, setting_id=setting_id())
    return render_template("manager/person.html", page=page, channels=channels, error=error,
                           caveat=CHILDREN_CAVEAT, **extra), status


@bp.get("/<int:person_id>")
def person(person_id: int):
    return _person(person_id)


@bp.post("/<int:person_id>/leaving")
def leaving(person_id: int):
    try:
        with transaction() as db:
            records.set_leaving_date(db, person_id, request.form.get("leaves") or None, setting_id=setting_id(),
                                     actor=actor())
    except records.UnknownPerson:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 400)
    flash("The leaving date is saved.", "info")
    return redirect(url_for(".person", person_id=person_id))


@bp.post("/<int:person_id>/guardians")
def add_guardian(person_id: int):
    form = request.form
    try:
        with transaction() as db:
            guardian_link.link_guardian(
                db, setting_id=setting_id(), name=form.get("name", ""), email=form.get("email", ""),
                child_id=person_id, phone=form.get("phone"),
                parental_responsibility=form.get("parental_responsibility") == "yes", actor=actor(),
                confirmed_guardian_id=form.get("confirm_guardian_id", type=int))
    except records.UnknownPerson:
        abort(404)
    except guardian_link.NeedsConfirmation as exc:
        return _person(person_id, sentence(exc), 409, confirm=exc, guardian_form=form)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 400)
    flash("The parent or carer is linked.", "info")
    return redirect(url_for(".person", person_id=person_id))
