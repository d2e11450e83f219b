"""People: children and staff, the class-list import, leaving dates, guardians and parental responsibility."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import importing, records
from gatekeeper.app import people as people_service
from gatekeeper.app.context import unit_of_work
from gatekeeper.app.guardian_link import NeedsConfirmation
from gatekeeper.faces.engine import CHILDREN_CAVEAT
from gatekeeper.web.current import principal
from gatekeeper.web.forms import sentence
from gatekeeper.web.manager import manager_blueprint

bp = manager_blueprint("manager_people", __name__, "/manager/people")
MAX_CSV_BYTES = 512 * 1024


def _uow():
    return unit_of_work(current_app._get_current_object())


def _list(error: str | None = None, status: int = 200, form: dict | None = None, problems: list[str] | None = None):
    kind = request.args.get("kind") or None
    if kind not in (None, "child", "staff"):
        abort(400, description="Kind must be child or staff.")
    people = people_service.list_people(_uow(), principal(), kind=kind)
    return render_template("manager/people.html", people=people, kind=kind, error=error, form=form or {},
                           problems=problems or []), status


@bp.get("")
def people():
    return _list()


@bp.post("")
def add_person():
    form = request.form
    try:
        person = people_service.add_person(
            _uow(), principal(), kind=form.get("kind", ""), first_name=form.get("first_name", ""),
            surname=form.get("surname", ""), born=form.get("born"), starts=form.get("starts"),
            leaves=form.get("leaves"), room=form.get("room"), source="dashboard")
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
        added = people_service.import_people(_uow(), principal(), text)
    except importing.CsvImportError as exc:
        return _list("Nothing was imported; please correct these rows and try again.", 400, problems=exc.problems)
    flash(f"{len(added)} people were imported.", "info")
    return redirect(url_for(".people"))


def _person(person_id: int, error: str | None = None, status: int = 200, **extra):
    try:
        details = people_service.person_details(_uow(), principal(), person_id)
    except records.UnknownPerson:
        abort(404)
    return render_template("manager/person.html", page=details.page, channels=details.channels, error=error,
                           caveat=CHILDREN_CAVEAT, **extra), status


@bp.get("/<int:person_id>")
def person(person_id: int):
    return _person(person_id)


@bp.post("/<int:person_id>/leaving")
def leaving(person_id: int):
    try:
        people_service.set_leaving_date(_uow(), principal(), person_id, request.form.get("leaves") or None)
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
        people_service.add_guardian(_uow(), principal(), child_id=person_id, name=form.get("name", ""),
                                    email=form.get("email", ""), phone=form.get("phone"),
                                    parental_responsibility=form.get("parental_responsibility") == "yes",
                                    confirmed_guardian_id=form.get("confirm_guardian_id", type=int))
    except records.UnknownPerson:
        abort(404)
    except NeedsConfirmation as exc:
        return _person(person_id, sentence(exc), 409, confirm=exc, guardian_form=form)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 400)
    flash("The parent or carer is linked.", "info")
    return redirect(url_for(".person", person_id=person_id))
