"""Recording decisions and asking what is in force, on a real database."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from consent_db import audit, records, templates
from consent_db.consent import InvalidDecision, consent_in_force, history, person_consent, record_decision
from consent_db.models import ConsentDecision, Setting
from consent_db.records import UnknownChannel, UnknownGuardian, UnknownPerson
from consent_db.verdicts import FACE_MATCHING, Reason

from .conftest import DATA_KEY, T0, row_counts


def day(n: int):
    return T0 + timedelta(days=n)


def _setting_of(session, person_id: int) -> int:
    """The person's own setting (9999, an unknown person, gets the first one), as a caller would know it."""
    from consent_db.models import Person, Setting
    from sqlalchemy import select

    person = session.get(Person, person_id)
    return person.setting_id if person else session.scalars(select(Setting.id).order_by(Setting.id)).first()


def decide(session, person, purpose, decision, by, at, **kwargs):
    kwargs.setdefault("method", "portal" if by == "guardian" else "dashboard")
    return record_decision(session, setting_id=_setting_of(session, person), person_id=person, purpose=purpose, decision=decision, given_by=by, at=at, **kwargs)


def test_consent_in_force_answers_for_many_people_and_names_unknown_ones(session, world):
    decide(session, world.child, world.website, "grant", "guardian", day(1), guardian_id=world.mum)
    decide(session, world.staff, world.website, "refuse", "self", day(1))
    verdicts = consent_in_force(session, [world.child, world.staff, world.other_child, 9999], world.website, day(2))
    assert verdicts[world.child].allowed and verdicts[world.child].reason is Reason.IN_FORCE
    assert verdicts[world.staff].reason is Reason.REFUSED
    assert verdicts[world.other_child].reason is Reason.NO_RECORD
    assert verdicts[9999].reason is Reason.UNKNOWN_PERSON


def test_consent_is_per_channel_and_face_matching_is_separate(session, world):
    decide(session, world.child, world.website, "grant", "guardian", day(1), guardian_id=world.mum)
    assert not consent_in_force(session, [world.child], world.newsletter, day(2))[world.child].allowed
    assert not consent_in_force(session, [world.child], FACE_MATCHING, day(2))[world.child].allowed


def test_consent_in_force_uses_the_same_number_of_queries_for_3_or_300_people(session, world):
    statements = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        consent_in_force(session, [world.child, world.staff, world.other_child], world.website, day(1))
        few = len(statements)
        statements.clear()
        consent_in_force(session, range(1, 301), world.website, day(1))
        assert len(statements) == few == 2
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_a_bad_purpose_is_a_type_error(session, world):
    with pytest.raises(TypeError):
        consent_in_force(session, [world.child], "website", day(1))


def test_the_leaving_date_ends_consent_unless_the_setting_opts_out(session, world):
    decide(session, world.child, world.website, "grant", "guardian", day(1), guardian_id=world.mum)
    records.get_person(session, world.child, setting_id=world.setting_id).leaving_date = date(2025, 9, 10)
    assert consent_in_force(session, [world.child], world.website, day(10))[world.child].reason is Reason.LEFT_SETTING
    session.get(Setting, world.setting_id).consent_ends_on_leaving = False
    assert consent_in_force(session, [world.child], world.website, day(10))[world.child].allowed


def test_withdrawal_appends_and_never_rewrites_history(session, world):
    first = decide(session, world.child, world.website, "grant", "guardian", day(1), guardian_id=world.mum)
    session.commit()
    original = session.get(ConsentDecision, first.decision_id)
    snapshot = (original.decision, original.recorded_at, original.given_by)
    change = decide(session, world.child, world.website, "refuse", "guardian", day(2), guardian_id=world.mum)
    session.commit()
    assert change.ended and change.before.allowed and change.after.reason is Reason.WITHDRAWN
    rows = history(session, world.child, setting_id=world.setting_id)
    assert [r.decision.value for r in rows] == ["grant", "refuse"]
    assert (rows[0].decision, rows[0].recorded_at, rows[0].given_by) == snapshot
    assert consent_in_force(session, [world.child], world.website, day(1) + timedelta(hours=1))[world.child].allowed


@pytest.mark.parametrize(
    "steps, tags",
    [
        pytest.param([("grant", "guardian", "mum")], ["consent:granted"], id="grant"),
        pytest.param([("refuse", "guardian", "mum")], ["consent:refused"], id="refusal"),
        pytest.param([("grant", "guardian", "mum"), ("refuse", "guardian", "mum")],
                     ["consent:granted", "consent:withdrawn"], id="withdrawal"),
        pytest.param([("grant", "guardian", "mum"), ("refuse", "guardian", "dad")],
                     ["consent:granted", "consent:withdrawn"], id="another guardian ending consent"),
        pytest.param([("refuse", "child_objection", None), ("grant", "child_objection", None)],
                     ["consent:child-objected", "consent:objection-lifted"], id="objection and lifting it"),
    ],
)
def test_each_decision_is_audited_with_its_tag(session, world, steps, tags):
    for n, (decision, by, who) in enumerate(steps):
        decide(session, world.child, world.website, decision, by, day(n + 1),
               guardian_id=getattr(world, who) if who else None)
    events = audit.list_events(session, tag_prefix="consent:")
    assert [e.tag for e in reversed(events)] == tags
    assert all(e.subject == f"person:{world.child}" for e in events)
    assert audit.verify_chain(session).ok


def test_a_paper_form_for_a_child_speaks_for_the_guardian_who_signed_it(session, world):
    change = decide(session, world.child, world.website, "grant", "manager", day(1), guardian_id=world.dad,
                    method="paper_form", evidence="form in office file 2025")
    assert change.after.allowed and "paper form" in change.after.detail


def test_staff_decide_for_themselves_with_an_expiry(session, world):
    change = decide(session, world.staff, world.website, "grant", "self", day(1), expires=date(2025, 9, 30))
    assert change.after.allowed and not change.ended
    assert consent_in_force(session, [world.staff], world.website, day(29))[world.staff].reason is Reason.EXPIRED


def test_ending_face_matching_consent_deletes_templates_in_the_same_transaction(session, world):
    decide(session, world.child, FACE_MATCHING, "grant", "guardian", day(1), guardian_id=world.mum)
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"\x01" * 16,
                              reference_photo=b"jpeg", at=day(1))
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"\x02" * 16,
                              reference_photo=None, at=day(1))
    session.commit()
    change = decide(session, world.child, FACE_MATCHING, "refuse", "guardian", day(2), guardian_id=world.dad)
    assert change.ended and change.templates_deleted == 2
    assert templates.count_templates(session, world.child) == 0
    deleted = audit.list_events(session, tag_prefix="template:deleted")
    assert deleted and deleted[0].subject == f"person:{world.child}"
    session.rollback()  # one transaction: rolling back brings back consent and templates together
    assert templates.count_templates(session, world.child) == 2
    assert consent_in_force(session, [world.child], FACE_MATCHING, day(2))[world.child].allowed


def test_a_refused_face_matching_decision_with_no_templates_deletes_nothing(session, world):
    change = decide(session, world.child, FACE_MATCHING, "refuse", "guardian", day(1), guardian_id=world.mum)
    assert change.templates_deleted == 0 and not audit.list_events(session, tag_prefix="template:")


def test_person_consent_lists_every_channel_and_face_matching(session, world):
    decide(session, world.child, world.website, "grant", "guardian", day(1), guardian_id=world.mum)
    lines = person_consent(session, world.child, setting_id=world.setting_id, at=day(2))
    assert [(line.label, line.verdict.allowed) for line in lines] == [
        ("website", True), ("newsletter", False), (FACE_MATCHING, False)]


def _other_setting_channel(session):
    other = Setting(name="Elsewhere", created_at=T0)
    session.add(other)
    session.flush()
    return records.add_channel(session, setting_id=other.id, slug="website", name="W", description="d",
                               actor=audit.CLI, at=T0).id


BAD = [
    ("unknown person", dict(person_id=9999), UnknownPerson, "no person 9999"),
    ("unknown channel", dict(purpose=9999), UnknownChannel, "no channel"),
    ("bad decision word", dict(decision="maybe"), InvalidDecision, "not one of"),
    ("bad given-by word", dict(given_by="neighbour"), InvalidDecision, "not one of"),
    ("bad method", dict(method="pigeon"), InvalidDecision, "not one of"),
    ("unknown guardian", dict(guardian_id=9999), UnknownGuardian, "no guardian 9999"),
    ("guardian of another child", dict(guardian_id="stranger"), InvalidDecision, "is not a guardian of"),
    ("guardian without PR", dict(guardian_id="aunt"), InvalidDecision, "no parental responsibility"),
    ("guardian decision naming nobody", dict(guardian_id=None), InvalidDecision, "must name the guardian"),
    ("self for a child", dict(given_by="self", guardian_id=None), InvalidDecision, "only for staff"),
    ("guardian for staff", dict(person_id="staff"), InvalidDecision, "staff decide for themselves"),
    ("objection for staff", dict(person_id="staff", given_by="child_objection", guardian_id=None),
     InvalidDecision, "only for children"),
    ("objection naming a guardian", dict(given_by="child_objection"), InvalidDecision, "names no guardian"),
    ("paper form without evidence", dict(given_by="manager", evidence="  "), InvalidDecision, "evidence"),
    ("child paper form naming nobody", dict(given_by="manager", guardian_id=None, evidence="file"),
     InvalidDecision, "must name the guardian"),
    ("staff paper form naming a guardian", dict(person_id="staff", given_by="manager", evidence="file"),
     InvalidDecision, "names no guardian"),
    ("expiry on a refusal", dict(decision="refuse", expires=date(2026, 1, 1)), InvalidDecision, "only a grant"),
    ("expiry in the past", dict(expires=date(2025, 8, 1)), InvalidDecision, "not after"),
    ("back-dated decision", dict(at=day(-1)), InvalidDecision, "back-dated"),
]


@pytest.mark.parametrize("overrides, error, words", [pytest.param(*b[1:], id=b[0]) for b in BAD])
def test_bad_decisions_are_refused_and_change_nothing(session, world, overrides, error, words):
    decide(session, world.child, world.website, "grant", "guardian", day(0), guardian_id=world.mum)
    session.commit()
    before = row_counts(session)
    args = dict(setting_id=world.setting_id, person_id=world.child, purpose=world.website, decision="grant", given_by="guardian",
                guardian_id=world.mum, method="portal", at=day(1))
    args.update(overrides)
    for key in ("person_id", "guardian_id"):
        if isinstance(args[key], str):
            args[key] = getattr(world, args[key])
    with pytest.raises(error, match=words):
        record_decision(session, **args)
    assert row_counts(session) == before


def test_a_channel_of_another_setting_is_unknown_here(session, world):
    foreign = _other_setting_channel(session)
    with pytest.raises(UnknownChannel):
        decide(session, world.child, foreign, "grant", "guardian", day(1), guardian_id=world.mum)
    assert not session.scalars(select(ConsentDecision)).all()


def test_a_decision_for_a_person_of_another_setting_is_refused_as_unknown(session, world):
    other = Setting(name="Oaks", created_at=T0)
    session.add(other)
    session.flush()
    before = row_counts(session)
    with pytest.raises(records.UnknownPerson):
        record_decision(session, setting_id=other.id, person_id=world.child, purpose=FACE_MATCHING, decision="grant",
                        given_by="guardian", guardian_id=world.mum, method="portal", at=day(1))
    with pytest.raises(records.UnknownPerson):
        history(session, world.child, setting_id=other.id)
    assert row_counts(session) == before
