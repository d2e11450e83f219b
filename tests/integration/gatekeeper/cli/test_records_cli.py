"""`gatekeeper people|guardians|channels|consent`: JSON for scripts, clear errors that change nothing."""
from __future__ import annotations

import pytest


@pytest.fixture
def filled(gk):
    """A child (1) with a PR guardian (1) and a non-PR carer (2), a staff member (2), another child (3)
    with guardian 3, and the website channel (1)."""
    assert gk.json("people", "add", "--kind", "child", "--first-name", "Ada", "--surname", "Lovelace",
                   "--born", "2021-03-04", "--starts", "2024-09-02")["id"] == 1
    assert gk.json("people", "add", "--kind", "staff", "--first-name", "Grace", "--surname", "Hopper")["id"] == 2
    assert gk.json("people", "add", "--kind", "child", "--first-name", "Alan", "--surname", "Turing")["id"] == 3
    assert gk.json("guardians", "add", "--name", "Anne", "--email", "anne@example.org", "--child", "1")["id"] == 1
    carer = gk.json("guardians", "add", "--name", "Cath", "--email", "cath@example.org", "--child", "1",
                    "--no-parental-responsibility")
    assert carer == {"id": 2, "name": "Cath", "email": "cath@example.org", "child_id": 1, "parental_responsibility": False}
    assert gk.json("guardians", "add", "--name", "Dan", "--email", "dan@example.org", "--child", "3")["id"] == 3
    assert gk.json("channels", "add", "website", "--name", "Website", "--description", "Our public website")["id"] == 1
    return gk


def test_people_are_listed_with_their_dates(filled):
    people = filled.json("people", "list", "--kind", "child")
    assert [(p["id"], p["first_name"], p["born"]) for p in people] == [(1, "Ada", "2021-03-04"), (3, "Alan", None)]
    assert "Ada Lovelace" in filled("people", "list").stdout


def test_guardians_and_channels_are_listed(filled):
    assert [g["id"] for g in filled.json("guardians", "list", "--child", "1")] == [1, 2]
    assert filled.json("channels", "list")[0]["slug"] == "website"


def test_consent_set_and_show_for_a_child(filled):
    change = filled.json("consent", "set", "1", "website", "grant", "--by", "1", "--expires", "2099-09-01")
    assert change["after"]["allowed"] and not change["before"]["allowed"]
    shown = filled.json("consent", "show", "1")
    assert [(c["purpose"], c["allowed"], c["reason"]) for c in shown["consent"]] == [
        ("website", True, "in_force"), ("face-matching", False, "no_record")]
    withdrawn = filled.json("consent", "set", "1", "website", "refuse", "--by", "1")
    assert withdrawn["consent_ended"] and withdrawn["after"]["reason"] == "withdrawn"
    assert "NOT in force" in filled("consent", "show", "1").stdout


def test_consent_set_for_staff_a_paper_form_and_a_childs_objection(filled):
    assert filled.json("consent", "set", "2", "face-matching", "grant", "--by", "self")["after"]["allowed"]
    paper = filled.json("consent", "set", "3", "website", "grant", "--by", "manager", "--guardian", "3",
                        "--evidence", "signed form, office file A")
    assert paper["after"]["allowed"]
    objection = filled.json("consent", "set", "3", "website", "refuse", "--by", "child-objection")
    assert objection["after"]["reason"] == "child_objected" and objection["consent_ended"]


def test_people_import_adds_a_class_list(filled, tmp_path):
    csv_file = tmp_path / "class.csv"
    csv_file.write_text("first_name,surname,born\nMary,Seacole,2021-11-23\nIsambard,Brunel,2021-04-09\n")
    events_before = filled.counts()["outbox"]
    added = filled.json("people", "import", str(csv_file))["added"]
    assert [p["id"] for p in added] == [4, 5]
    assert filled.counts()["outbox"] == events_before + 1, "one event for the whole import"
    assert "imported: 1 new, 0 changed, 0 unchanged (new ids 6)" in \
        filled("people", "import", str(_csv(tmp_path, "Jo,Bloggs,\n"))).stdout


def _csv(tmp_path, rows: str, name="more.csv"):
    path = tmp_path / name
    path.write_text("first_name,surname,born\n" + rows)
    return path


ERRORS = [
    ("unknown person", ["consent", "set", "99", "website", "grant", "--by", "1"], "no person 99"),
    ("unknown channel", ["consent", "set", "1", "radio", "grant", "--by", "1"], "no channel 'radio'"),
    ("unknown guardian", ["consent", "set", "1", "website", "grant", "--by", "99"], "no guardian 99"),
    ("guardian of another child", ["consent", "set", "1", "website", "grant", "--by", "3"], "is not a guardian of Ada Lovelace"),
    ("guardian without PR", ["consent", "set", "1", "website", "grant", "--by", "2"], "no parental responsibility"),
    ("self for a child", ["consent", "set", "1", "website", "grant", "--by", "self"], "only for staff"),
    ("guardian for staff", ["consent", "set", "2", "website", "grant", "--by", "1"], "staff decide for themselves"),
    ("paper form without evidence", ["consent", "set", "2", "website", "grant", "--by", "manager"], "evidence"),
    ("nonsense --by", ["consent", "set", "1", "website", "grant", "--by", "granny"], "must be a guardian id"),
    ("--guardian with a guardian id", ["consent", "set", "1", "website", "grant", "--by", "1", "--guardian", "1"], "--guardian"),
    ("--guardian with self", ["consent", "set", "2", "website", "grant", "--by", "self", "--guardian", "1"], "--guardian"),
    ("bad expiry date", ["consent", "set", "1", "website", "grant", "--by", "1", "--expires", "next year"], "not a date"),
    ("expiry on a refusal", ["consent", "set", "1", "website", "refuse", "--by", "1", "--expires", "2099-01-01"], "only a grant"),
    ("consent show for an unknown person", ["consent", "show", "99"], "no person 99"),
    ("bad birth date", ["people", "add", "--kind", "child", "--first-name", "A", "--surname", "B", "--born", "2021-13-01"], "not a date"),
    ("leaving before starting", ["people", "add", "--kind", "child", "--first-name", "A", "--surname", "B",
                                 "--starts", "2024-09-01", "--leaves", "2024-01-01"], "before the start date"),
    ("blank name", ["people", "add", "--kind", "staff", "--first-name", " ", "--surname", "B"], "must not be empty"),
    ("guardian of an unknown child", ["guardians", "add", "--name", "E", "--email", "e@example.org", "--child", "99"], "no person 99"),
    ("guardian of a staff member", ["guardians", "add", "--name", "E", "--email", "e@example.org", "--child", "2"], "not a child"),
    ("guardian with a bad email", ["guardians", "add", "--name", "E", "--email", "e-at-example", "--child", "1"], "not an email"),
    ("guardian linked twice", ["guardians", "add", "--name", "A", "--email", "anne@example.org", "--child", "1"], "already linked"),
    ("guardians of an unknown child", ["guardians", "list", "--child", "99"], "no person 99"),
    ("bad channel slug", ["channels", "add", "Web Site", "--name", "W", "--description", "d"], "lower-case"),
    ("taken channel slug", ["channels", "add", "website", "--name", "W", "--description", "d"], "already exists"),
    ("reserved channel slug", ["channels", "add", "face-matching", "--name", "W", "--description", "d"], "reserved"),
]


@pytest.mark.parametrize("args, words", [pytest.param(e[1], e[2], id=e[0]) for e in ERRORS])
def test_bad_input_prints_one_clear_error_exits_1_and_changes_nothing(filled, args, words):
    before = filled.counts()
    result = filled(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and words in result.stderr
    assert "Traceback" not in result.output
    assert filled.counts() == before


@pytest.mark.parametrize("args", [
    pytest.param(["consent", "set", "one", "website", "grant", "--by", "1"], id="person id that is not a number"),
    pytest.param(["consent", "set", "1", "website", "maybe", "--by", "1"], id="decision that is not grant or refuse"),
    pytest.param(["people", "add", "--kind", "parent", "--first-name", "A", "--surname", "B"], id="unknown kind"),
    pytest.param(["guardians", "add", "--name", "E", "--email", "e@example.org"], id="missing --child"),
])
def test_malformed_commands_are_usage_errors_that_change_nothing(filled, args):
    before = filled.counts()
    result = filled(*args)
    assert result.exit_code == 2 and "Error" in result.stderr
    assert filled.counts() == before


def test_a_bad_class_list_imports_nobody_and_lists_the_rows(filled, tmp_path):
    before = filled.counts()
    result = filled("people", "import", str(_csv(tmp_path, "Mary,Seacole,2021-11-23\n,Brunel,\nJo,Bloggs,1/1/21\n")))
    assert result.exit_code == 1
    assert "row 3: first name must not be empty" in result.stderr and "row 4: date of birth" in result.stderr
    assert filled.counts() == before


def test_a_class_list_that_is_not_utf8_is_refused(filled, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("first_name,surname\nZoë,Brontë\n".encode("latin-1"))
    before = filled.counts()
    result = filled("people", "import", str(path))
    assert result.exit_code == 1 and "not UTF-8" in result.stderr
    assert filled.counts() == before


def test_with_two_settings_the_operator_names_one_and_an_unknown_name_is_an_error(filled):
    from sqlalchemy.orm import Session

    from consent_db.db import make_engine
    from consent_db.models import Setting
    from consent_db.timeutil import now

    engine = make_engine(f"sqlite:///{filled.instance / 'gatekeeper.db'}")
    try:
        with Session(engine) as session:
            session.add(Setting(name="Oak Tree", created_at=now()))
            session.commit()
    finally:
        engine.dispose()
    before = filled.counts()
    unnamed = filled("people", "add", "--kind", "child", "--first-name", "A", "--surname", "B")
    assert unnamed.exit_code == 1 and "name one with --setting" in unnamed.output
    unknown = filled("people", "list", "--setting", "Elm")
    assert unknown.exit_code == 1 and "no setting 'Elm'" in unknown.output
    assert filled.counts() == before
    assert filled.json("people", "list", "--setting", "Oak Tree") == []
    assert len(filled.json("people", "list", "--setting", "1")) == 3


def test_what_a_person_reads_on_the_command_line_has_british_dates_and_names(filled):
    listing = filled("people", "list", "--kind", "child").stdout
    assert "born 04/03/2021 starts 02/09/2024" in listing and "2021-03-04" not in listing
    filled.json("consent", "set", "1", "website", "grant", "--by", "1", "--expires", "2099-09-01")
    shown = filled("consent", "show", "1").stdout
    assert "granted by Anne on " in shown and ", until 1 September 2099" in shown
    assert "guardian 1" not in shown
