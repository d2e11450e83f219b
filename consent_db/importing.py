"""Class-list import from CSV: every row checked, a plan shown, then all of it applied or none.

Columns (header row required, case and spacing ignored): first_name, surname, and optionally
kind (child|staff, default child), born, starts, leaves, room, and up to two guardians:
guardian_name, guardian_email, guardian_pr (yes/no; blank means yes), then guardian2_name,
guardian2_email, guardian2_pr. Common spellings ("First name", "DOB", "Parent 1 email",
"Guardian 2 parental responsibility") are accepted. Dates may be 14/03/2022, 14-03-2022 or
2022-03-14. Rows are numbered as a spreadsheet shows them: the header is row 1.

A row is the same person as one on record when kind, first name, surname and date of birth all
match (case-insensitive): importing the same file twice changes nothing. A blank cell leaves what
is stored alone; guardians are added or updated, never removed. A new row whose name matches
someone on record with a close or missing date of birth is flagged as a possible duplicate.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.editing import person_differences, set_parental_responsibility, update_guardian, update_person
from consent_db.models import Guardian, GuardianLink, Person, PersonKind
from consent_db.records import (EMAIL_RE, PersonFields, RecordsError, add_guardian, add_person, check_person)
from consent_db.timeutil import short_date
from consent_db.ukdates import parse_uk_date

PERSON_ALIASES = {
    "first_name": "first_name", "firstname": "first_name", "forename": "first_name", "given_name": "first_name",
    "surname": "surname", "last_name": "surname", "lastname": "surname", "family_name": "surname",
    "kind": "kind",
    "born": "born", "dob": "born", "date_of_birth": "born", "birth_date": "born",
    "starts": "starts", "start_date": "starts", "started": "starts",
    "leaves": "leaves", "leaving_date": "leaves", "leave_date": "leaves",
    "room": "room", "class": "room", "group": "room",
}


def _guardian_aliases() -> dict[str, str]:
    found = {}
    for number, spellings in (("1", ("", "1", "_1")), ("2", ("2", "_2"))):
        for who in ("guardian", "parent", "carer"):
            for n in spellings:
                stem = f"{who}{n}"
                found[f"{stem}_name"] = f"guardian{number}_name"
                found[f"{stem}_email"] = found[f"{stem}_email_address"] = f"guardian{number}_email"
                for pr in ("pr", "parental_responsibility", "has_parental_responsibility"):
                    found[f"{stem}_{pr}"] = f"guardian{number}_pr"
    found["parental_responsibility"] = "guardian1_pr"
    return found


ALIASES = {**PERSON_ALIASES, **_guardian_aliases()}
REQUIRED = ("first_name", "surname")
DATE_COLUMNS = {"born": "date of birth", "starts": "start date", "leaves": "leaving date"}
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
MAX_ROWS = 5000
CLOSE_DAYS = 31


class CsvImportError(RecordsError):
    """The file has problems; `problems` lists them as 'row N: sentence'. Nothing was imported."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"nothing was imported: {shown}")


class PlanChanged(CsvImportError):
    """The records changed between the preview and the confirmation; nothing was imported."""

    def __init__(self):
        super().__init__(["the records changed since the preview was made: look at the new preview and confirm again"])


class RowAction(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class GuardianRow:
    name: str
    email: str
    parental_responsibility: bool


@dataclass(frozen=True)
class PlannedRow:
    """One row of the file and what applying it would do."""

    row: int
    fields: PersonFields
    given: frozenset[str]  # the person columns with a value in this row
    guardians: tuple[GuardianRow, ...]
    action: RowAction
    person_id: int | None = None
    changes: tuple[str, ...] = ()  # plain sentences, for the preview
    possible_duplicates: tuple[str, ...] = ()  # "Mary Seacole (born 23/11/2021), person 4"

    @property
    def name(self) -> str:
        return f"{self.fields.first_name} {self.fields.surname}"


@dataclass(frozen=True)
class ImportPlan:
    rows: tuple[PlannedRow, ...]
    fingerprint: str  # changes when the file or the records it touches change

    def of(self, action: RowAction) -> list[PlannedRow]:
        return [row for row in self.rows if row.action is action]

    @property
    def duplicates(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.possible_duplicates]

    @property
    def has_work(self) -> bool:
        return any(row.action is not RowAction.UNCHANGED for row in self.rows)


@dataclass
class ImportResult:
    added: list[Person] = field(default_factory=list)
    changed: list[Person] = field(default_factory=list)
    leaving_changed: list[Person] = field(default_factory=list)
    unchanged: int = 0


def _key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace(".", " ").split())


def _header(raw: list[str]) -> list[str]:
    columns, problems = [], []
    for name in raw:
        key = _key(name)
        if key not in ALIASES:
            problems.append(f"row 1: unknown column {name.strip()!r}")
        columns.append(ALIASES.get(key, key))
    for needed in REQUIRED:
        if needed not in columns:
            problems.append(f"row 1: the column {needed!r} is missing")
    duplicates = {c for c in columns if columns.count(c) > 1}
    problems += [f"row 1: the column {c!r} appears twice" for c in sorted(duplicates)]
    for number in ("1", "2"):
        present = {f"guardian{number}_{part}" for part in ("name", "email")} & set(columns)
        if len(present) == 1:
            missing = "email" if f"guardian{number}_name" in present else "name"
            problems.append(f"row 1: guardian {number} needs both a name and an email column ({missing} is missing)")
    if problems:
        raise CsvImportError(problems)
    return columns


def _read_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True))
    except csv.Error as exc:
        raise CsvImportError([f"the file is not valid CSV ({exc})"]) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise CsvImportError(["the file is empty: expected a header row with first_name and surname"])
    columns = _header(rows[0])
    if len(rows) - 1 > MAX_ROWS:
        raise CsvImportError([f"the file has more than {MAX_ROWS} rows: split it"])
    found, problems = [], []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            problems.append(f"row {number}: has {len(cells)} cells, the header has {len(columns)}")
            continue
        found.append((number, {c: v.strip() for c, v in zip(columns, cells)}))
    return columns, found, problems


def _pr(value: str, number: str) -> bool:
    word = value.strip().lower()
    if not word or word in YES:
        return True
    if word in NO:
        return False
    raise RecordsError(f"parental responsibility of guardian {number} is {value!r}: write yes or no")


def _guardians(values: dict[str, str], kind: PersonKind) -> tuple[GuardianRow, ...]:
    found = []
    for number in ("1", "2"):
        name, email = values.get(f"guardian{number}_name", ""), values.get(f"guardian{number}_email", "")
        pr = values.get(f"guardian{number}_pr", "")
        if not (name or email or pr):
            continue
        if kind is not PersonKind.CHILD:
            raise RecordsError("staff have no guardians: leave the guardian columns blank")
        if not name or not email:
            raise RecordsError(f"guardian {number} needs both a name and an email")
        clean = email.casefold()
        if not EMAIL_RE.match(clean) or len(clean) > 320:
            raise RecordsError(f"guardian {number}'s email {email!r} is not an email address")
        if len(name) > 200:
            raise RecordsError(f"guardian {number}'s name is longer than 200 characters")
        found.append(GuardianRow(name, clean, _pr(pr, number)))
    if len(found) == 2 and found[0].email == found[1].email:
        raise RecordsError("both guardians have the same email")
    return tuple(found)


def _check_row(values: dict[str, str]) -> tuple[PersonFields, frozenset[str], tuple[GuardianRow, ...]]:
    person = {key: values.get(key, "") for key in PERSON_ALIASES.values() if key in values}
    person["kind"] = person.get("kind") or "child"
    for column, what in DATE_COLUMNS.items():
        if column in person:
            person[column] = parse_uk_date(person[column], what)
    fields = check_person(**person)
    given = frozenset(k for k, v in values.items() if k in PERSON_ALIASES.values() and v not in ("", None))
    return fields, given, _guardians(values, fields.kind)


def _same_name(person: Person, fields: PersonFields) -> bool:
    return (person.first_name.casefold() == fields.first_name.casefold()
            and person.surname.casefold() == fields.surname.casefold())


def _close(a: date | None, b: date | None) -> bool:
    if a is None or b is None:
        return True
    swapped = a.day <= 12 and b == _swap(a)
    return abs((a - b).days) <= CLOSE_DAYS or swapped


def _swap(day: date) -> date | None:
    try:
        return day.replace(month=day.day, day=day.month)
    except ValueError:
        return None


def _describe(person: Person) -> str:
    born = f" (born {short_date(person.date_of_birth)})" if person.date_of_birth else ""
    archived = ", archived" if person.archived_at else ""
    return f"{person.full_name}{born}, person {person.id}{archived}"


def _shown(value) -> str:
    if isinstance(value, date):
        return short_date(value)
    return "blank" if value in (None, "") else str(value)


LABELS = {"first_name": "first name", "surname": "surname", "born": "date of birth", "starts": "start date",
          "leaves": "leaving date", "room": "room"}


class _Guardians:
    """The setting's guardians by email, and which emails the file gives which name."""

    def __init__(self, session: Session, setting_id: int):
        self.by_email = {g.email.casefold(): g for g in session.scalars(
            select(Guardian).where(Guardian.setting_id == setting_id))}
        self.links = {(link.guardian_id, link.child_id): link for link in session.scalars(
            select(GuardianLink).join(Guardian).where(Guardian.setting_id == setting_id))}
        self.names_in_file: dict[str, tuple[str, int]] = {}

    def check_consistent(self, number: int, guardians: tuple[GuardianRow, ...]) -> None:
        for guardian in guardians:
            seen = self.names_in_file.setdefault(guardian.email, (guardian.name, number))
            if seen[0] != guardian.name:
                raise RecordsError(f"{guardian.email} is named {seen[0]!r} on row {seen[1]} and "
                                   f"{guardian.name!r} here: use one name")

    def changes(self, person_id: int | None, guardians: tuple[GuardianRow, ...]) -> list[str]:
        found = []
        for guardian in guardians:
            pr = "with" if guardian.parental_responsibility else "without"
            existing = self.by_email.get(guardian.email)
            if existing is None:
                found.append(f"adds {guardian.name} <{guardian.email}> {pr} parental responsibility")
                continue
            if existing.archived_at is not None:
                raise RecordsError(f"{guardian.email} belongs to an archived guardian ({existing.name}): "
                                   "use another email")
            link = self.links.get((existing.id, person_id)) if person_id else None
            if link is None:
                found.append(f"links {existing.name} <{guardian.email}> (already on record) {pr} parental "
                             "responsibility")
            elif link.parental_responsibility != guardian.parental_responsibility:
                found.append(f"{existing.name}: parental responsibility "
                             f"{'no → yes' if guardian.parental_responsibility else 'yes → no'}")
            if existing.name != guardian.name:
                found.append(f"renames guardian {existing.name} to {guardian.name}")
        return found


def plan_import(session: Session, text: str, *, setting_id: int) -> ImportPlan:
    """What importing the file would do; raises CsvImportError listing every problem (nothing changes)."""
    _, rows, problems = _read_rows(text)
    people = list(session.scalars(select(Person).where(Person.setting_id == setting_id).order_by(Person.id)))
    guardians = _Guardians(session, setting_id)
    planned: list[PlannedRow] = []
    seen: dict[tuple, int] = {}
    for number, values in rows:
        try:
            fields, given, guardian_rows = _check_row(values)
            key = (fields.kind, fields.first_name.casefold(), fields.surname.casefold(), fields.born)
            if key in seen:
                raise RecordsError(f"the same person as row {seen[key]}")
            seen[key] = number
            guardians.check_consistent(number, guardian_rows)
            planned.append(_plan_row(number, fields, given, guardian_rows, people, guardians))
        except RecordsError as exc:
            problems.append(f"row {number}: {exc}")
    if problems:
        raise CsvImportError(sorted(problems, key=_row_number))
    if not planned:
        raise CsvImportError(["the file has a header but no people"])
    return ImportPlan(tuple(planned), _fingerprint(planned))


def _row_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head[4:]) if head.startswith("row ") and head[4:].isdigit() else 0


def _plan_row(number: int, fields: PersonFields, given: frozenset[str], guardian_rows: tuple[GuardianRow, ...],
              people: list[Person], guardians: _Guardians) -> PlannedRow:
    same = [p for p in people if p.kind is fields.kind and _same_name(p, fields) and p.date_of_birth == fields.born]
    current = [p for p in same if p.archived_at is None]
    if current:
        person = current[0]
        differences = person_differences(person, fields, only=set(given) - {"kind", "first_name", "surname", "born"})
        changes = [f"{LABELS[name]}: {_shown(old)} → {_shown(new)}"
                   for name, (old, new) in differences.items()]
        changes += guardians.changes(person.id, guardian_rows)
        action = RowAction.CHANGED if changes else RowAction.UNCHANGED
        return PlannedRow(number, fields, given, guardian_rows, action, person.id, tuple(changes))
    close = [_describe(p) for p in people if _same_name(p, fields) and (p in same or _close(p.date_of_birth, fields.born))]
    return PlannedRow(number, fields, given, guardian_rows, RowAction.NEW, None,
                      tuple(guardians.changes(None, guardian_rows)), tuple(close))


def _fingerprint(rows: list[PlannedRow]) -> str:
    data = [[r.row, r.action.value, r.person_id, list(r.changes), list(r.possible_duplicates),
             [r.fields.kind.value, r.fields.first_name, r.fields.surname, str(r.fields.born), str(r.fields.starts),
              str(r.fields.leaves), r.fields.room],
             [[g.name, g.email, g.parental_responsibility] for g in r.guardians]] for r in rows]
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def apply_import(session: Session, text: str, *, setting_id: int, actor: Actor, at: datetime | None = None,
                 expected: str | None = None) -> ImportResult:
    """Apply the plan for the file in the caller's transaction (the caller rolls back on any error).

    With `expected` (the fingerprint of a preview) raises PlanChanged unless the plan is still that one.
    Raises CsvImportError or RecordsError.
    """
    plan = plan_import(session, text, setting_id=setting_id)
    if expected is not None and plan.fingerprint != expected:
        raise PlanChanged()
    result = ImportResult(unchanged=len(plan.of(RowAction.UNCHANGED)))
    for row in plan.rows:
        if row.action is RowAction.UNCHANGED:
            continue
        if row.action is RowAction.NEW:
            person = add_person(session, row.fields, setting_id=setting_id, actor=actor, at=at, source="import")
            result.added.append(person)
            if person.leaving_date is not None:
                result.leaving_changed.append(person)
        else:
            change = update_person(session, row.person_id, row.fields, setting_id=setting_id, actor=actor, at=at,
                                   only=set(row.given) - {"kind", "first_name", "surname", "born"}, source="import")
            person = change.person
            result.changed.append(person)
            if change.leaving_changed:
                result.leaving_changed.append(person)
        _apply_guardians(session, person, row.guardians, setting_id=setting_id, actor=actor, at=at)
    if result.added or result.changed:
        audit.record(session, AuditTag.PEOPLE_IMPORTED, subject=f"setting:{setting_id}", setting_id=setting_id,
                     details={"added": len(result.added), "changed": len(result.changed),
                              "unchanged": result.unchanged}, at=at, **actor.fields())
    return result


def _apply_guardians(session: Session, person: Person, rows: tuple[GuardianRow, ...], *, setting_id: int,
                     actor: Actor, at: datetime | None) -> None:
    for row in rows:
        guardian = session.scalars(select(Guardian).where(Guardian.setting_id == setting_id,
                                                          Guardian.email == row.email)).first()
        if guardian is not None and guardian.name != row.name:
            update_guardian(session, guardian.id, setting_id=setting_id, name=row.name, email=guardian.email,
                            phone=guardian.phone, actor=actor, at=at)
        if guardian is None or session.get(GuardianLink, (guardian.id, person.id)) is None:
            add_guardian(session, setting_id=setting_id, name=row.name, email=row.email, child_id=person.id,
                         parental_responsibility=row.parental_responsibility, actor=actor, at=at)
        else:
            set_parental_responsibility(session, guardian.id, person.id, row.parental_responsibility,
                                        setting_id=setting_id, actor=actor, at=at)
