"""People: children and staff, the class-list import, leaving dates, guardians and parental responsibility."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from consent_db import importing, records
from consent_db.models import PersonKind
from gatekeeper.app import people as people_service
from gatekeeper.app import people_badges
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


SHOW = {"current": False, "archived": True, "all": None}


def _list(error: str | None = None, status: int = 200, form: dict | None = None, problems: list[str] | None = None):
    kind = request.args.get("kind") or None
    if kind not in (None, "child", "staff"):
        abort(400, description="Kind must be child or staff.")
    show = request.args.get("show") or "current"
    if show not in SHOW:
        abort(400, description="Show current, archived or all people.")
    rows = people_badges.people_with_badges(_uow(), principal(), kind=kind, archived=SHOW[show])
    return render_template("manager/people.html", rows=rows, kind=kind, show=show, error=error, form=form or {},
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


def _csv_text() -> str | tuple:
    """The uploaded class list as text, or the People page with the reason it cannot be read."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _list("Choose a CSV file to import.", 400)
    raw = upload.stream.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        return _list("The file is too large for a class list (over 512 KB).", 400)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _list("The file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8.", 400)


def _preview(text: str, error: str | None = None, status: int = 200):
    try:
        plan = people_service.preview_import(_uow(), principal(), text)
    except importing.CsvImportError as exc:
        return _list("Nothing was imported; please correct these rows and try again.", 400, problems=exc.problems)
    return render_template("manager/people_import.html", plan=plan, text=text, error=error,
                           actions=importing.RowAction), status


@bp.post("/import")
def import_csv():
    """Step 1: read the file and show what importing it would do; nothing is stored yet."""
    text = _csv_text()
    if not isinstance(text, str):
        return text
    return _preview(text)


@bp.post("/import/confirm")
def confirm_import():
    """Step 2: apply the previewed class list, all of it or nothing."""
    text = request.form.get("csv", "")
    if not text or len(text.encode("utf-8")) > MAX_CSV_BYTES:
        abort(400, description="The class list is missing or too large: upload it again.")
    try:
        result = people_service.import_people(_uow(), principal(), text,
                                              expected=request.form.get("fingerprint") or "-")
    except importing.PlanChanged as exc:
        return _preview(text, sentence(exc.problems[0]), 409)
    except importing.CsvImportError as exc:
        return _list("Nothing was imported; please correct these rows and try again.", 400, problems=exc.problems)
    except records.RecordsError as exc:
        return _list(f"Nothing was imported: {sentence(exc)}", 400)
    flash(f"Class list imported: {len(result.added)} new, {len(result.changed)} changed, "
          f"{result.unchanged} unchanged.", "info")
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


@bp.post("/<int:person_id>/edit")
def edit(person_id: int):
    form = request.form
    try:
        people_service.update_person(_uow(), principal(), person_id, first_name=form.get("first_name", ""),
                                     surname=form.get("surname", ""), born=form.get("born"),
                                     starts=form.get("starts"), leaves=form.get("leaves"), room=form.get("room"))
    except records.UnknownPerson:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 400, edit_form=form)
    flash("The details are saved.", "info")
    return redirect(url_for(".person", person_id=person_id))


@bp.post("/<int:person_id>/archive")
def archive(person_id: int):
    try:
        change = people_service.archive_person(_uow(), principal(), person_id)
    except records.UnknownPerson:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 409)
    flash(f"{change.person.full_name} is archived; their leaving date is "
          f"{change.person.leaving_date.strftime('%d/%m/%Y')}.", "info")
    return redirect(url_for(".person", person_id=person_id))


@bp.post("/<int:person_id>/restore")
def restore(person_id: int):
    try:
        person = people_service.restore_person(_uow(), principal(), person_id)
    except records.UnknownPerson:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 409)
    back = " If they are back at work, enable their staff account on Accounts." if person.kind is PersonKind.STAFF else ""
    flash(f"{person.full_name} is shown again. Clear the leaving date if consent should count again.{back}", "info")
    return redirect(url_for(".person", person_id=person_id))


@bp.post("/<int:person_id>/guardians/<int:guardian_id>")
def edit_guardian(person_id: int, guardian_id: int):
    """Change a guardian's details and their parental responsibility for this child."""
    form = request.form
    try:
        people_service.update_guardian(_uow(), principal(), guardian_id, name=form.get("name", ""),
                                       email=form.get("email", ""), phone=form.get("phone"), child_id=person_id,
                                       parental_responsibility=form.get("parental_responsibility") == "yes")
    except (records.UnknownPerson, records.UnknownGuardian):
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 400)
    flash("The parent or carer is saved.", "info")
    return redirect(url_for(".person", person_id=person_id))


@bp.post("/<int:person_id>/guardians/<int:guardian_id>/archive")
def archive_guardian(person_id: int, guardian_id: int):
    try:
        guardian = people_service.archive_guardian(_uow(), principal(), guardian_id)
    except records.UnknownGuardian:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 409)
    flash(f"{guardian.name} is archived.", "info")
    return redirect(url_for(".person", person_id=person_id))


@bp.post("/<int:person_id>/guardians/<int:guardian_id>/restore")
def restore_guardian(person_id: int, guardian_id: int):
    try:
        guardian = people_service.restore_guardian(_uow(), principal(), guardian_id)
    except records.UnknownGuardian:
        abort(404)
    except records.RecordsError as exc:
        return _person(person_id, sentence(exc), 409)
    flash(f"{guardian.name} is shown again.", "info")
    return redirect(url_for(".person", person_id=person_id))
