"""Class-list import: a plan first (new, changed, unchanged, possible duplicates), then all of it or
nothing; guardians from up to two column groups; UK dates; the same file twice changes nothing."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from consent_db import audit, records
from consent_db.audit import CLI
from consent_db.importing import CsvImportError, PlanChanged, RowAction, apply_import, plan_import
from consent_db.models import Guardian, GuardianLink, Person

from .conftest import row_counts

GOOD = """\ufeffFirst name,Surname,DOB,Start date,Room,Guardian name,Guardian email,Guardian PR,Guardian 2 name,Guardian 2 email,Guardian 2 PR
Mary,Seacole,23/11/2021,02-09-2024,Acorns,Ed Seacole,ed@example.org,yes,Fay Seacole,fay@example.org,no
Isambard,Brunel,2021-04-09,,Oaks,,,,,,
"""


def test_a_class_list_with_guardians_and_uk_dates_is_imported(session, world):
    result = apply_import(session, GOOD, setting_id=world.setting_id, actor=CLI)
    mary, isambard = result.added
    assert (mary.first_name, mary.date_of_birth, mary.start_date, mary.room) == ("Mary", date(2021, 11, 23),
                                                                                 date(2024, 9, 2), "Acorns")
    assert isambard.date_of_birth == date(2021, 4, 9) and not isambard.guardian_links
    links = {(session.get(Guardian, link.guardian_id).email, link.parental_responsibility)
             for link in records.guardian_links(session, mary.id)}
    assert links == {("ed@example.org", True), ("fay@example.org", False)}
    assert audit.list_events(session, tag_prefix="person:imported")


def test_the_plan_says_who_is_new_and_changes_nothing(session, world):
    before = row_counts(session)
    plan = plan_import(session, GOOD, setting_id=world.setting_id)
    assert [(r.row, r.action) for r in plan.rows] == [(2, RowAction.NEW), (3, RowAction.NEW)]
    assert plan.rows[0].changes == ("adds Ed Seacole <ed@example.org> with parental responsibility",
                                    "adds Fay Seacole <fay@example.org> without parental responsibility")
    assert row_counts(session) == before


def test_importing_the_same_file_twice_changes_nothing(session, world):
    apply_import(session, GOOD, setting_id=world.setting_id, actor=CLI)
    session.flush()
    before = row_counts(session)
    plan = plan_import(session, GOOD, setting_id=world.setting_id)
    assert {r.action for r in plan.rows} == {RowAction.UNCHANGED} and not plan.has_work
    result = apply_import(session, GOOD, setting_id=world.setting_id, actor=CLI)
    assert (result.added, result.changed, result.unchanged) == ([], [], 2)
    assert row_counts(session) == before, "no people, guardians, links or audit rows added"


def test_a_changed_row_updates_the_person_and_their_guardians(session, world):
    text = ("first_name,surname,born,room,leaves,guardian_name,guardian_email,guardian_pr,"
            "guardian2_name,guardian2_email,guardian2_pr\n"
            "Ada,Lovelace,04/03/2021,Oaks,31/07/2026,Anne,ANNE@example.org,no,Eve New,eve@example.org,\n")
    plan = plan_import(session, text, setting_id=world.setting_id)
    [row] = plan.rows
    assert row.action is RowAction.CHANGED and row.person_id == world.child
    assert row.changes == ("leaving date: blank → 31/07/2026", "room: blank → Oaks",
                           "Anne: parental responsibility yes → no",
                           "adds Eve New <eve@example.org> with parental responsibility")
    result = apply_import(session, text, setting_id=world.setting_id, actor=CLI)
    assert [p.id for p in result.changed] == [world.child] and result.leaving_changed == result.changed
    ada = session.get(Person, world.child)
    assert (ada.room, ada.leaving_date) == ("Oaks", date(2026, 7, 31))
    assert session.get(GuardianLink, (world.mum, world.child)).parental_responsibility is False
    assert session.scalars(select(Guardian).where(Guardian.email == "eve@example.org")).one()


def test_a_blank_cell_leaves_what_is_stored(session, world):
    session.get(Person, world.child).room = "Acorns"
    session.flush()
    plan = plan_import(session, "first_name,surname,born,room\nAda,Lovelace,2021-03-04,\n",
                       setting_id=world.setting_id)
    assert plan.rows[0].action is RowAction.UNCHANGED


def test_a_sibling_links_the_guardian_already_on_record(session, world):
    text = "first_name,surname,born,guardian_name,guardian_email\nByron,Lovelace,2023-01-01,Anne,anne@example.org\n"
    [row] = plan_import(session, text, setting_id=world.setting_id).rows
    assert row.changes == ("links Anne <anne@example.org> (already on record) with parental responsibility",)
    [byron] = apply_import(session, text, setting_id=world.setting_id, actor=CLI).added
    assert session.get(GuardianLink, (world.mum, byron.id)).parental_responsibility


@pytest.mark.parametrize("born, flagged", [
    ("2021-03-20", True),  # 16 days apart
    ("2021-04-03", True),  # day and month swapped
    ("", True),  # no date to tell them apart
    ("2019-03-04", False),
])
def test_the_same_name_with_a_close_date_of_birth_is_a_possible_duplicate(session, world, born, flagged):
    [row] = plan_import(session, f"first_name,surname,born\nada,LOVELACE,{born}\n", setting_id=world.setting_id).rows
    assert row.action is RowAction.NEW
    assert bool(row.possible_duplicates) is flagged
    if flagged:
        assert row.possible_duplicates == (f"Ada Lovelace (born 04/03/2021), person {world.child}",)


def test_apply_refuses_when_the_records_changed_since_the_preview(session, world):
    plan = plan_import(session, GOOD, setting_id=world.setting_id)
    records.add_person(session, records.check_person(kind="child", first_name="Mary", surname="Seacole",
                                                     born="2021-11-23"), setting_id=world.setting_id, actor=CLI)
    session.flush()
    before = row_counts(session)
    with pytest.raises(PlanChanged):
        apply_import(session, GOOD, setting_id=world.setting_id, actor=CLI, expected=plan.fingerprint)
    assert row_counts(session) == before


def test_apply_with_the_previewed_fingerprint_goes_ahead(session, world):
    plan = plan_import(session, GOOD, setting_id=world.setting_id)
    assert len(apply_import(session, GOOD, setting_id=world.setting_id, actor=CLI, expected=plan.fingerprint).added) == 2


HEAD = "first_name,surname,born,guardian_name,guardian_email,guardian_pr\n"


@pytest.mark.parametrize("text, problems", [
    pytest.param("first_name,surname\nMary,Seacole\n,Brunel\nJo,Bloggs,extra\n",
                 ["row 3: first name must not be empty", "row 4: has 3 cells, the header has 2"], id="bad rows"),
    pytest.param("first_name,surname,born\nMary,Seacole,23/11/21\n", ["row 2: date of birth '23/11/21' is ambiguous"],
                 id="two-digit year"),
    pytest.param("first_name,surname,born\nMary,Seacole,11/23/2021\n", ["row 2: date of birth '11/23/2021' looks like month first"],
                 id="month first"),
    pytest.param("first_name,surname,born\nMary,Seacole,30/02/2021\n", ["row 2: date of birth '30/02/2021' is not a real date"],
                 id="impossible date"),
    pytest.param("first_name,surname,leaves\nMary,Seacole,next week\n", ["row 2: leaving date 'next week' is not a date"],
                 id="words for a date"),
    pytest.param("first_name,surname,kind\nMary,Seacole,parent\n", ["row 2: kind 'parent'"], id="bad kind"),
    pytest.param("first_name,surname\nMary,Seacole\nmary,SEACOLE\n", ["row 3: the same person as row 2"], id="duplicate rows"),
    pytest.param("first_name,shoe_size\nMary,5\n", ["row 1: unknown column 'shoe_size'", "row 1: the column 'surname' is missing"], id="bad header"),
    pytest.param("first_name,surname,forename\nA,B,C\n", ["row 1: the column 'first_name' appears twice"], id="twice"),
    pytest.param("first_name,surname,guardian_name\nA,B,C\n", ["row 1: guardian 1 needs both a name and an email column"],
                 id="guardian name column alone"),
    pytest.param(HEAD + "Mary,Seacole,,Ed,,\n", ["row 2: guardian 1 needs both a name and an email"], id="guardian without email"),
    pytest.param(HEAD + "Mary,Seacole,,Ed,ed-at-example,\n", ["row 2: guardian 1's email 'ed-at-example' is not an email"],
                 id="bad guardian email"),
    pytest.param(HEAD + "Mary,Seacole,,Ed,ed@example.org,maybe\n", ["row 2: parental responsibility of guardian 1 is 'maybe'"],
                 id="bad PR"),
    pytest.param("first_name,surname,kind,guardian_name,guardian_email\nKay,Staff,staff,Ed,ed@example.org\n",
                 ["row 2: staff have no guardians"], id="guardian for staff"),
    pytest.param(HEAD + "Mary,Seacole,,Ed,ed@example.org,\nJo,Seacole,,Eddie,ED@example.org,\n",
                 ["row 3: ed@example.org is named 'Ed' on row 2 and 'Eddie' here"], id="one email two names"),
    pytest.param("first_name,surname,guardian_email,guardian_name,guardian2_email,guardian2_name\nA,B,e@x.org,E,e@x.org,F\n",
                 ["row 2: both guardians have the same email"], id="same guardian twice"),
    pytest.param("", ["the file is empty"], id="empty file"),
    pytest.param("first_name,surname\n\n", ["the file has a header but no people"], id="header only"),
    pytest.param('first_name,surname\n"Mary,Seacole\n', ["the file is not valid CSV"], id="unclosed quote"),
])
def test_a_bad_file_imports_nothing_and_names_each_problem(session, world, text, problems):
    before = row_counts(session)
    for attempt in (plan_import, apply_import):
        kwargs = {"actor": CLI} if attempt is apply_import else {}
        with pytest.raises(CsvImportError) as caught:
            attempt(session, text, setting_id=world.setting_id, **kwargs)
        for expected, got in zip(problems, caught.value.problems, strict=True):
            assert got.startswith(expected)
        assert "nothing was imported" in str(caught.value)
    assert row_counts(session) == before


def test_an_archived_guardians_email_is_refused(session, world):
    session.get(Guardian, world.stranger).archived_at = session.get(Person, world.child).created_at
    session.flush()
    with pytest.raises(CsvImportError) as caught:
        plan_import(session, HEAD + "Mary,Seacole,,Dan,dan@example.org,\n", setting_id=world.setting_id)
    assert caught.value.problems == ["row 2: dan@example.org belongs to an archived guardian (Dan): use another email"]


def test_too_many_rows_are_refused(session, world, monkeypatch):
    from consent_db import importing

    monkeypatch.setattr(importing, "MAX_ROWS", 2)
    with pytest.raises(CsvImportError) as caught:
        plan_import(session, "first_name,surname\na,b\nc,d\ne,f\n", setting_id=world.setting_id)
    assert caught.value.problems == ["the file has more than 2 rows: split it"]


def test_staff_can_be_imported_too(session, world):
    result = apply_import(session, "first_name,surname,kind\nKatherine,Johnson,staff\n",
                          setting_id=world.setting_id, actor=CLI)
    assert result.added[0].kind.value == "staff"
    assert len(records.list_people(session, setting_id=world.setting_id)) == 4
