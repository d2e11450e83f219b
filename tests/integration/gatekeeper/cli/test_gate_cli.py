"""The gate from the command line, as an operator drives it: records, enrolment, ingest, queue,
approval, publication, withdrawal, check; and every refusal exits non-zero and changes nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from gatekeeper.cli import main


class Operator:
    def __init__(self, instance: Path):
        self.instance = instance

    def __call__(self, *args, code: int = 0):
        result = CliRunner().invoke(main, [*map(str, args), "--instance", str(self.instance)])
        assert result.exit_code == code, result.output
        return result

    def json(self, *args, code: int = 0):
        return json.loads(self(*args, "--json", code=code).stdout)

    def published(self) -> list[Path]:
        folder = self.instance / "channels" / "website"
        return sorted(folder.iterdir()) if folder.exists() else []

    def outbox(self) -> list[tuple[str, object]]:
        """(kind, done_at) of every outbox row, oldest first."""
        engine = create_engine(f"sqlite:///{self.instance / 'gatekeeper.db'}")
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text("SELECT kind, done_at FROM outbox ORDER BY id"))]
        finally:
            engine.dispose()

    def audit_count(self) -> int:
        return len(self.json("audit", "list"))


@pytest.fixture
def op(tmp_path, faces_dir) -> Operator:
    operator = Operator(tmp_path / "instance")
    operator("init")
    child = operator.json("people", "add", "--kind", "child", "--first-name", "Barack", "--surname", "Obama")["id"]
    guardian = operator.json("guardians", "add", "--name", "Michelle", "--email", "m@example.org",
                             "--child", child)["id"]
    operator("channels", "add", "website", "--name", "Website", "--description", "Our website")
    operator.staff = operator.json("people", "add", "--kind", "staff", "--first-name", "Sam", "--surname", "Lee")["id"]
    operator.child, operator.guardian, operator.faces = child, guardian, faces_dir
    return operator


def enrolled(op: Operator) -> Operator:
    op("consent", "set", op.child, "face-matching", "grant", "--by", op.guardian)
    op("consent", "set", op.child, "website", "grant", "--by", op.guardian)
    op("enroll", op.child, op.faces / "identities/barack_obama/fr_obama.jpg",
       op.faces / "identities/barack_obama/fr_obama2.jpg")
    return op


def test_an_operator_publishes_and_a_withdrawal_takes_it_down(op):
    enrolled(op)
    [row] = op.json("ingest", "--by", op.staff, op.faces / "identities/barack_obama/fr_obama3.jpg")
    assert row["state"] == "ready" and row["faces"] == 1
    detail = op.json("queue", "show", row["item"])
    assert detail["faces"][0]["label"] == "Barack Obama"
    op("approve", row["item"], "--channel", "website")
    assert len(op.published()) == 1
    events_before = op.outbox()
    withdrawn = op.json("consent", "set", op.child, "website", "refuse", "--by", op.guardian)
    assert withdrawn["taken_down"] == 1
    assert op.published() == []
    events = op.outbox()[len(events_before):]
    # The withdrawal's own event, plus the notices it raised for the Manager (each its own event).
    assert [kind for kind, _ in events].count("consent_changed") == 1
    assert all(done_at is not None for _, done_at in events), f"every event carried out: {events}"
    verdict = op.json("check", op.faces / "identities/barack_obama/fr_obama3.jpg", "--channel", "website", code=3)
    assert verdict["cleared"] is False and "withdrawn" in verdict["reasons"][0]
    assert "intact" in op("audit", "verify").output


def test_an_unknown_face_is_identified_by_hand_then_approved(op):
    op("consent", "set", op.child, "website", "grant", "--by", op.guardian)
    [row] = op.json("ingest", "--by", op.staff, op.faces / "identities/barack_obama/fr_obama3.jpg")
    assert row["state"] == "held"
    refused = op("approve", row["item"], "--channel", "website", code=1)
    assert "unknown face" in refused.stderr
    op("identify", row["item"], 1, op.child)
    op("approve", row["item"], "--channel", "website")
    assert len(op.published()) == 1
    op("takedown", row["item"])
    assert op.published() == []


def test_a_refused_file_is_reported_and_the_others_are_kept(op, tmp_path):
    junk = tmp_path / "notes.jpg"
    junk.write_text("<html><script>alert(1)</script></html>")
    rows = op.json("ingest", "--by", op.staff, junk, op.faces / "negatives/skimage_coffee.png", code=2)
    assert "refused" in rows[0] and rows[1]["state"] == "ready"
    assert len(op.json("queue", "list")) == 1


def test_reject_purges_the_item(op):
    [row] = op.json("ingest", "--by", op.staff, op.faces / "negatives/skimage_coffee.png")
    op("reject", row["item"])
    assert op.json("queue", "show", row["item"])["state"] == "purged"
    assert op.json("queue", "list") == []


@pytest.mark.parametrize("args, message", [
    (("queue", "show", "nonexistent"), "no media item"),
    (("approve", "nonexistent", "--channel", "website"), "no media item"),
    (("identify", "nonexistent", "1", "1"), "no media item"),
    (("takedown", "nonexistent"), "no media item"),
    (("reject", "nonexistent"), "no media item"),
    (("approve", "ITEM", "--channel", "newsletter"), "newsletter"),
    (("identify", "ITEM", "0", "1"), "numbered from 1"),
    (("identify", "ITEM", "9", "1"), "no face 9"),
    (("identify", "ITEM", "1", "999"), "999"),
    (("not-a-person", "ITEM", "4"), "no face 4"),
    (("redact", "ITEM", "7"), "no face 7"),
])
def test_bad_requests_exit_1_with_one_line_and_change_nothing(op, args, message):
    [row] = op.json("ingest", "--by", op.staff, op.faces / "identities/barack_obama/fr_obama3.jpg")
    before = (op.json("queue", "show", row["item"]), op.audit_count())
    result = op(*[row["item"] if a == "ITEM" else a for a in args], code=1)
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert (op.json("queue", "show", row["item"]), op.audit_count()) == before


def test_ingest_by_someone_who_is_not_staff_is_refused(op):
    result = op("ingest", "--by", op.child, op.faces / "negatives/skimage_coffee.png", code=1)
    assert "not a member of staff" in result.stderr
    assert op.json("queue", "list") == []


def test_enrolment_needs_face_matching_consent_and_stores_nothing_without_it(op):
    result = op("enroll", op.child, op.faces / "identities/barack_obama/fr_obama.jpg", code=1)
    assert "no face-matching consent" in result.stderr
    assert op.json("scan", op.faces / "identities/barack_obama/fr_obama3.jpg")["enrolled_people"] == 0


def test_enrolment_from_a_photo_without_a_face_is_refused_whole(op):
    op("consent", "set", op.child, "face-matching", "grant", "--by", op.guardian)
    result = op("enroll", op.child, op.faces / "identities/barack_obama/fr_obama.jpg",
                op.faces / "negatives/skimage_coffee.png", code=1)
    assert "skimage_coffee.png" in result.stderr and "No face" in result.stderr
    assert op.json("scan", op.faces / "identities/barack_obama/fr_obama3.jpg")["enrolled_people"] == 0


def test_check_on_an_unknown_channel_is_refused(op):
    result = op("check", op.faces / "negatives/skimage_coffee.png", "--channel", "tv", code=1)
    assert "tv" in result.stderr


def test_gate_commands_on_an_uninitialised_instance_say_how_to_fix_it(tmp_path):
    result = CliRunner().invoke(main, ["queue", "list", "--instance", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "gatekeeper init" in result.stderr


def test_check_judges_what_would_be_published_not_the_colour_channels(op, tmp_path):
    from tests.attack_factory import alpha_only_png

    attack = alpha_only_png(op.faces / "identities/joe_biden/fr_biden2.jpg", tmp_path / "alpha.png")
    verdict = op.json("check", attack, "--channel", "website", code=3)
    assert verdict["cleared"] is False and verdict["faces"], verdict
