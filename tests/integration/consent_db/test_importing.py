"""Class-list import: everyone or nobody, with problems named by spreadsheet row."""
from __future__ import annotations

import pytest

from consent_db import audit, records
from consent_db.audit import CLI
from consent_db.importing import CsvImportError, import_people_csv

from .conftest import row_counts

GOOD = """\ufeffFirst name,Surname,DOB,Start date,Room
Mary,Seacole,2021-11-23,2024-09-02,Acorns
Isambard,Brunel,2021-04-09,,Oaks
"""


def test_a_class_list_is_imported_with_spreadsheet_headers(session, world):
    people = import_people_csv(session, GOOD, setting_id=world.setting_id, actor=CLI)
    assert [(p.first_name, p.kind.value, p.room) for p in people] == [("Mary", "child", "Acorns"), ("Isambard", "child", "Oaks")]
    assert audit.list_events(session, tag_prefix="person:imported")


@pytest.mark.parametrize("text, problems", [
    pytest.param("first_name,surname\nMary,Seacole\n,Brunel\nJo,Bloggs,extra\n",
                 ["row 3: first name must not be empty", "row 4: has 3 cells, the header has 2"], id="bad rows"),
    pytest.param("first_name,surname,born\nMary,Seacole,23/11/2021\n", ["row 2: date of birth"], id="bad date"),
    pytest.param("first_name,surname,kind\nMary,Seacole,parent\n", ["row 2: kind 'parent'"], id="bad kind"),
    pytest.param("first_name,surname\nMary,Seacole\nmary,SEACOLE\n", ["row 3: the same person as row 2"], id="duplicate rows"),
    pytest.param("first_name,surname,born\nAda,Lovelace,2021-03-04\n", ["row 2: already on record as person"], id="already on record"),
    pytest.param("first_name,shoe_size\nMary,5\n", ["row 1: unknown column 'shoe_size'", "row 1: the column 'surname' is missing"], id="bad header"),
    pytest.param("first_name,surname,forename\nA,B,C\n", ["row 1: the column 'first_name' appears twice"], id="twice"),
    pytest.param("", ["the file is empty"], id="empty file"),
    pytest.param("first_name,surname\n\n", ["the file has a header but no people"], id="header only"),
])
def test_a_bad_file_imports_nobody_and_names_each_problem(session, world, text, problems):
    before = row_counts(session)
    with pytest.raises(CsvImportError) as caught:
        import_people_csv(session, text, setting_id=world.setting_id, actor=CLI)
    for expected, got in zip(problems, caught.value.problems, strict=True):
        assert got.startswith(expected)
    assert row_counts(session) == before
    assert "nothing was imported" in str(caught.value)


def test_staff_can_be_imported_too(session, world):
    people = import_people_csv(session, "first_name,surname,kind\nKatherine,Johnson,staff\n",
                               setting_id=world.setting_id, actor=CLI)
    assert people[0].kind.value == "staff"
    assert len(records.list_people(session, setting_id=world.setting_id)) == 4
