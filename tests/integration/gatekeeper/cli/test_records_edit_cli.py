"""`gatekeeper people import --preview/--apply`, editing and archiving people, guardians and channels,
`queue list` through every page, and `audit list` in sentences."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine

from consent_db.models import ItemState
from consent_db.timeutil import now
from tests.queue_rows import add_items

CLASS = ("first_name,surname,born,room,guardian_name,guardian_email,guardian_pr\n"
         "Mary,Seacole,23/11/2021,Acorns,Ed Seacole,ed@example.org,yes\n"
         "Isambard,Brunel,09-04-2021,Oaks,,,\n")


@pytest.fixture
def class_list(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text(CLASS)
    return path


def test_preview_changes_nothing_apply_imports_and_a_second_apply_changes_nothing(gk, class_list):
    before = gk.counts()
    preview = gk("people", "import", str(class_list), "--preview")
    assert preview.exit_code == 0 and gk.counts() == before
    assert "row    2  new        Mary Seacole" in preview.stdout
    assert "adds Ed Seacole <ed@example.org> with parental responsibility" in preview.stdout
    assert "2 new, 0 changed, 0 unchanged, 0 possible duplicate(s)" in preview.stdout
    fingerprint = gk.json("people", "import", str(class_list), "--preview")["fingerprint"]
    done = gk.json("people", "import", str(class_list), "--apply", "--expect", fingerprint)
    assert [p["first_name"] for p in done["added"]] == ["Mary", "Isambard"]
    after = gk.counts()
    again = gk.json("people", "import", str(class_list), "--apply")
    assert (again["added"], again["changed"], again["unchanged"]) == ([], [], 2)
    assert gk.counts() == after


def test_apply_refuses_a_stale_preview(gk, class_list):
    before = gk.counts()
    result = gk("people", "import", str(class_list), "--apply", "--expect", "0" * 32)
    assert result.exit_code == 1 and "the records changed since the preview" in result.stderr
    assert gk.counts() == before


@pytest.fixture
def people(gk, class_list):
    gk.json("people", "import", str(class_list))
    gk.json("channels", "add", "website", "--name", "Website", "--description", "Our public website")
    return gk


def test_a_person_is_edited_archived_listed_and_restored(people):
    edited = people.json("people", "edit", "1", "--room", "Oaks", "--born", "24/11/2021")
    assert edited["changed"] == ["born", "room"] and edited["person"]["born"] == "2021-11-24"
    assert "nothing to change" in people("people", "edit", "1", "--room", "Oaks").stdout
    archived = people.json("people", "archive", "1")
    assert archived["person"]["leaves"] == now().date().isoformat()
    assert [p["id"] for p in people.json("people", "list")] == [2]
    assert [p["id"] for p in people.json("people", "list", "--archived")] == [1]
    assert [p["id"] for p in people.json("people", "list", "--all")] == [1, 2]
    assert people.json("people", "restore", "1")["id"] == 1
    assert [p["id"] for p in people.json("people", "list")] == [1, 2]


def test_guardians_and_channels_are_edited_and_archived(people):
    assert people.json("guardians", "edit", "1", "--name", "Edward Seacole", "--email", "ed@example.org")["changed"] == ["name"]
    assert people.json("guardians", "responsibility", "1", "--child", "1", "no")["changed"]
    assert not people.json("guardians", "responsibility", "1", "--child", "1", "no")["changed"]
    assert people.json("guardians", "archive", "1") == {"id": 1}
    assert people.json("guardians", "restore", "1") == {"id": 1}
    assert people.json("guardians", "archive", "1") == {"id": 1}
    assert people.json("channels", "edit", "website", "--name", "Our website")["changed"] == ["name"]
    archived = people.json("channels", "archive", "website")
    assert archived == {"id": 1, "slug": "website", "taken_down": 0}
    assert people.json("channels", "list") == []
    assert [c["archived"] for c in people.json("channels", "list", "--all")] == [True]
    assert people.json("channels", "restore", "website") == {"id": 1, "slug": "website"}
    assert [c["slug"] for c in people.json("channels", "list")] == ["website"]


ERRORS = [
    ("edit an unknown person", ["people", "edit", "99", "--room", "X"], "no person 99"),
    ("edit with a bad date", ["people", "edit", "1", "--born", "11/23/2021"], "looks like month first"),
    ("edit dates out of order", ["people", "edit", "1", "--starts", "01/01/2020"], "before the date of birth"),
    ("archive an unknown person", ["people", "archive", "99"], "no person 99"),
    ("restore someone not archived", ["people", "restore", "1"], "is not archived"),
    ("guardian bad email", ["guardians", "edit", "1", "--name", "E", "--email", "nope"], "not an email"),
    ("responsibility for a child not linked", ["guardians", "responsibility", "1", "--child", "2", "yes"], "not linked"),
    ("archive an unknown guardian", ["guardians", "archive", "9"], "no guardian 9"),
    ("restore a guardian not archived", ["guardians", "restore", "1"], "is not archived"),
    ("restore an unknown guardian", ["guardians", "restore", "9"], "no guardian 9"),
    ("edit an unknown channel", ["channels", "edit", "radio", "--name", "R"], "no channel 'radio'"),
    ("empty channel description", ["channels", "edit", "website", "--description", " "], "description"),
    ("archive an unknown channel", ["channels", "archive", "radio"], "no channel 'radio'"),
    ("restore a channel not archived", ["channels", "restore", "website"], "is not archived"),
    ("restore an unknown channel", ["channels", "restore", "radio"], "no channel 'radio'"),
    ("list a bad queue day", ["queue", "list", "--day", "14/03/26"], "ambiguous"),
    ("list an unknown uploader", ["queue", "list", "--uploader", "nobody@x.org"], "no account"),
    ("audit of a person and an item", ["audit", "list", "--person", "1", "--item", "abc"], "one at a time"),
]


@pytest.mark.parametrize("args, words", [pytest.param(e[1], e[2], id=e[0]) for e in ERRORS])
def test_bad_input_prints_one_clear_error_and_changes_nothing(people, args, words):
    before = people.counts()
    result = people(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and words in result.stderr
    assert people.counts() == before


def test_archiving_twice_is_refused(people):
    people.json("people", "archive", "2")
    result = people("people", "archive", "2")
    assert result.exit_code == 1 and "already archived" in result.stderr


def test_queue_list_shows_every_item_and_one_page_on_request(people):
    engine = create_engine(f"sqlite:///{people.instance / 'gatekeeper.db'}")
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        ids = add_items(session, 1, [ItemState.HELD] * 230 + [ItemState.READY] * 5,
                        at=datetime(2026, 3, 14, 10, tzinfo=timezone.utc))
    engine.dispose()
    everything = people.json("queue", "list")
    assert [e["public_id"] for e in everything] == list(reversed(ids)), "no 200 cap, newest first"
    page = people("queue", "list", "--page", "2", "--per-page", "100")
    assert page.exit_code == 0 and "page 2 of 3 (235 items)" in page.stdout
    assert "held 230  ready 5  published 0" in page.stdout
    assert len(people.json("queue", "list", "--state", "ready")) == 5
    assert len(people.json("queue", "list", "--day", "14/03/2026")) == 235
    assert people.json("queue", "list", "--day", "15/03/2026") == []


def test_audit_list_reads_in_sentences_page_by_page(people):
    text = people("audit", "list", "--person", "1").stdout
    assert "the operator (command line): Mary Seacole was added as child (import)." in text
    assert "Ed Seacole was linked to Mary Seacole with parental responsibility." in text
    first = people.json("audit", "list", "--limit", "2")
    second = people.json("audit", "list", "--limit", "2", "--page", "2")
    assert first[0]["id"] > first[1]["id"] > second[0]["id"] > second[1]["id"]
    assert "page 1 of" in people("audit", "list", "--limit", "2").stdout
