"""Class-list import from CSV: every row checked first, then all stored or none.

Columns (header row required, case and spacing ignored): first_name, surname, and optionally
kind (child|staff, default child), born, starts, leaves, room; common spellings such as
"First name", "Date of birth" or "DOB" are accepted. Rows are numbered as a spreadsheet shows
them: the header is row 1.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Person
from consent_db.records import PersonFields, RecordsError, add_person, check_person, find_same_person

ALIASES = {
    "first_name": "first_name", "firstname": "first_name", "forename": "first_name", "given_name": "first_name",
    "surname": "surname", "last_name": "surname", "lastname": "surname", "family_name": "surname",
    "kind": "kind",
    "born": "born", "dob": "born", "date_of_birth": "born", "birth_date": "born",
    "starts": "starts", "start_date": "starts", "started": "starts",
    "leaves": "leaves", "leaving_date": "leaves", "leave_date": "leaves",
    "room": "room", "class": "room", "group": "room",
}
REQUIRED = ("first_name", "surname")
MAX_ROWS = 5000


class CsvImportError(RecordsError):
    """The file has problems; `problems` lists them as 'row N: sentence'. Nothing was imported."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"nothing was imported: {shown}")


@dataclass(frozen=True)
class ImportedRow:
    row: int
    fields: PersonFields


def _header(raw: list[str]) -> list[str]:
    columns, problems = [], []
    for name in raw:
        key = "_".join(name.strip().lower().replace("-", " ").split())
        if key not in ALIASES:
            problems.append(f"row 1: unknown column {name.strip()!r}")
        columns.append(ALIASES.get(key, key))
    for needed in REQUIRED:
        if needed not in columns:
            problems.append(f"row 1: the column {needed!r} is missing")
    duplicates = {c for c in columns if columns.count(c) > 1}
    problems += [f"row 1: the column {c!r} appears twice" for c in sorted(duplicates)]
    if problems:
        raise CsvImportError(problems)
    return columns


def parse_people_csv(session: Session, text: str, *, setting_id: int) -> list[ImportedRow]:
    """Check every row; raises CsvImportError listing all problems (bad values, duplicates)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise CsvImportError([f"the file is not valid CSV ({exc})"]) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise CsvImportError(["the file is empty: expected a header row with first_name and surname"])
    columns = _header(rows[0])
    if len(rows) - 1 > MAX_ROWS:
        raise CsvImportError([f"the file has more than {MAX_ROWS} rows: split it"])
    checked: list[ImportedRow] = []
    problems: list[str] = []
    seen: dict[tuple, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            problems.append(f"row {number}: has {len(cells)} cells, the header has {len(columns)}")
            continue
        values = dict(zip(columns, cells))
        values.setdefault("kind", "child")
        values["kind"] = values["kind"].strip() or "child"
        try:
            fields = check_person(**values)
        except RecordsError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        key = (fields.kind, fields.first_name.lower(), fields.surname.lower(), fields.born)
        if key in seen:
            problems.append(f"row {number}: the same person as row {seen[key]}")
            continue
        seen[key] = number
        existing = find_same_person(session, setting_id, fields)
        if existing is not None:
            problems.append(f"row {number}: already on record as person {existing.id}")
            continue
        checked.append(ImportedRow(number, fields))
    if problems:
        raise CsvImportError(problems)
    if not checked:
        raise CsvImportError(["the file has a header but no people"])
    return checked


def import_people_csv(
    session: Session, text: str, *, setting_id: int, actor: Actor, at: datetime | None = None
) -> list[Person]:
    """Add everyone in the CSV, or nobody; raises CsvImportError."""
    rows = parse_people_csv(session, text, setting_id=setting_id)
    people = [add_person(session, row.fields, setting_id=setting_id, actor=actor, at=at, source="import") for row in rows]
    audit.record(session, AuditTag.PEOPLE_IMPORTED, subject=f"setting:{setting_id}", setting_id=setting_id,
                 details={"count": len(people), "first_id": people[0].id, "last_id": people[-1].id},
                 at=at, **actor.fields())
    return people
