"""The consent rules, one table per rule: each row is a history and the verdict it must give."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from consent_db.models.consent import Decision, GivenBy
from consent_db.rules import DecisionFact, PersonFacts, verdict
from consent_db.verdicts import Reason

T0 = datetime(2025, 9, 1, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 10, 1, 12, 0, tzinfo=timezone.utc)
MUM, DAD, AUNT = 1, 2, 3  # MUM and DAD hold parental responsibility; AUNT does not

CHILD = PersonFacts(7, is_child=True, guardians={MUM: True, DAD: True, AUNT: False})
STAFF = PersonFacts(8, is_child=False)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def grant(by: GivenBy, at: datetime, guardian: int | None = None, expires: datetime | None = None) -> DecisionFact:
    return DecisionFact(Decision.GRANT, by, at, guardian, expires)


def refuse(by: GivenBy, at: datetime, guardian: int | None = None) -> DecisionFact:
    return DecisionFact(Decision.REFUSE, by, at, guardian)


G, SELF, MGR, OBJ = GivenBy.GUARDIAN, GivenBy.SELF, GivenBy.MANAGER, GivenBy.CHILD_OBJECTION


def check(person, history, expected: Reason, at: datetime = NOW) -> None:
    result = verdict(person.person_id if person else 99, person, history, at)
    assert result.reason is expected, result
    assert result.allowed is (expected is Reason.IN_FORCE)
    assert result.detail


@pytest.mark.parametrize(
    "person, history, expected",
    [
        pytest.param(CHILD, [], Reason.NO_RECORD, id="child with no record has no consent"),
        pytest.param(STAFF, [], Reason.NO_RECORD, id="staff with no record has no consent"),
        pytest.param(None, [], Reason.UNKNOWN_PERSON, id="unknown person has no consent"),
    ],
)
def test_opt_in_no_record_means_no_consent(person, history, expected):
    check(person, history, expected)


@pytest.mark.parametrize(
    "history, expected",
    [
        pytest.param([grant(G, day(1), MUM)], Reason.IN_FORCE, id="one PR guardian granting is enough"),
        pytest.param([grant(G, day(1), MUM), grant(G, day(2), DAD)], Reason.IN_FORCE, id="both PR guardians grant"),
        pytest.param([grant(G, day(1), MUM), refuse(G, day(2), DAD)], Reason.REFUSED, id="the other PR guardian refusing wins"),
        pytest.param([refuse(G, day(1), DAD), grant(G, day(2), MUM)], Reason.REFUSED, id="an earlier refusal still wins over a later grant"),
        pytest.param([grant(G, day(1), MUM), grant(G, day(2), DAD), refuse(G, day(3), DAD)], Reason.WITHDRAWN, id="a PR guardian withdrawing wins"),
        pytest.param([refuse(G, day(1), DAD), grant(G, day(2), DAD), grant(G, day(3), MUM)], Reason.IN_FORCE, id="a guardian changing their mind to grant counts"),
        pytest.param([grant(G, day(1), AUNT)], Reason.NO_RECORD, id="a grant without PR does not count"),
        pytest.param([grant(G, day(1), MUM), refuse(G, day(2), AUNT)], Reason.IN_FORCE, id="a refusal without PR does not count"),
        pytest.param([grant(G, day(1), 42)], Reason.NO_RECORD, id="a guardian no longer linked does not count"),
        pytest.param([grant(MGR, day(1), MUM)], Reason.IN_FORCE, id="a paper form signed by a PR guardian counts as theirs"),
        pytest.param([grant(MGR, day(1), MUM), refuse(G, day(2), MUM)], Reason.WITHDRAWN, id="the guardian can withdraw what their paper form gave"),
        pytest.param([grant(G, day(1), MUM), refuse(MGR, day(2))], Reason.REFUSED, id="a paper refusal naming no guardian still holds"),
        pytest.param([grant(SELF, day(1))], Reason.NO_RECORD, id="a child cannot grant for themself"),
    ],
)
def test_a_child_needs_a_pr_guardian_grant_and_no_pr_refusal(history, expected):
    check(CHILD, history, expected)


def test_a_child_with_nobody_holding_parental_responsibility_has_no_consent():
    orphaned = PersonFacts(7, is_child=True, guardians={AUNT: False})
    check(orphaned, [grant(G, day(1), AUNT)], Reason.NO_GUARDIAN)


@pytest.mark.parametrize(
    "history, expected",
    [
        pytest.param([grant(G, day(1), MUM), refuse(OBJ, day(2))], Reason.CHILD_OBJECTED, id="the objection beats a grant"),
        pytest.param([refuse(OBJ, day(1)), grant(G, day(2), MUM), grant(G, day(3), DAD)], Reason.CHILD_OBJECTED, id="the objection beats later grants"),
        pytest.param([refuse(OBJ, day(1)), grant(G, day(2), MUM), grant(OBJ, day(3))], Reason.IN_FORCE, id="a lifted objection lets the grant count again"),
        pytest.param([refuse(OBJ, day(1)), grant(OBJ, day(2))], Reason.NO_RECORD, id="lifting an objection is not itself a grant"),
    ],
)
def test_a_childs_own_objection_wins_over_any_grant(history, expected):
    check(CHILD, history, expected)


@pytest.mark.parametrize(
    "history, expected",
    [
        pytest.param([grant(SELF, day(1))], Reason.IN_FORCE, id="staff grant for themselves"),
        pytest.param([grant(SELF, day(1)), refuse(SELF, day(2))], Reason.WITHDRAWN, id="staff withdraw for themselves"),
        pytest.param([refuse(SELF, day(1))], Reason.REFUSED, id="staff refuse for themselves"),
        pytest.param([grant(MGR, day(1))], Reason.IN_FORCE, id="a staff paper form entered by the Manager counts"),
        pytest.param([grant(MGR, day(1)), refuse(SELF, day(2))], Reason.WITHDRAWN, id="staff withdraw what their paper form gave"),
        pytest.param([grant(G, day(1), MUM)], Reason.NO_RECORD, id="nobody else decides for staff"),
        pytest.param([refuse(OBJ, day(1)), grant(SELF, day(2))], Reason.IN_FORCE, id="a child objection does not apply to staff"),
    ],
)
def test_staff_decide_for_themselves(history, expected):
    check(STAFF, history, expected)


@pytest.mark.parametrize(
    "person, history, at, expected",
    [
        pytest.param(STAFF, [grant(SELF, day(1), expires=day(10))], day(9), Reason.IN_FORCE, id="before expiry it holds"),
        pytest.param(STAFF, [grant(SELF, day(1), expires=day(10))], day(10), Reason.EXPIRED, id="at expiry it has ended"),
        pytest.param(CHILD, [grant(G, day(1), MUM, expires=day(5)), grant(G, day(2), DAD)], day(9), Reason.IN_FORCE, id="another guardian's open grant still holds"),
        pytest.param(CHILD, [grant(G, day(1), MUM, expires=day(5))], day(9), Reason.EXPIRED, id="an expired child grant is no consent"),
        pytest.param(CHILD, [grant(G, day(1), MUM, expires=day(5)), grant(G, day(6), MUM)], day(9), Reason.IN_FORCE, id="a renewed grant replaces the expired one"),
    ],
)
def test_expired_consent_is_no_consent(person, history, at, expected):
    check(person, history, expected, at=at)


LEAVER = PersonFacts(7, is_child=True, leaving_date=date(2025, 9, 20), guardians={MUM: True})
LEAVER_KEPT = PersonFacts(7, is_child=True, leaving_date=date(2025, 9, 20), ends_on_leaving=False, guardians={MUM: True})


@pytest.mark.parametrize(
    "person, at, expected",
    [
        pytest.param(LEAVER, datetime(2025, 9, 19, 23, 59, tzinfo=timezone.utc), Reason.IN_FORCE, id="the day before leaving it holds"),
        pytest.param(LEAVER, datetime(2025, 9, 20, 0, 0, tzinfo=timezone.utc), Reason.LEFT_SETTING, id="on the leaving date it has ended"),
        pytest.param(LEAVER_KEPT, datetime(2025, 12, 1, tzinfo=timezone.utc), Reason.IN_FORCE, id="a setting may keep consent after leaving"),
    ],
)
def test_consent_ends_on_the_leaving_date(person, at, expected):
    check(person, [grant(G, day(1), MUM)], expected, at=at)


@pytest.mark.parametrize(
    "at, expected",
    [
        pytest.param(day(1), Reason.IN_FORCE, id="before the withdrawal it held"),
        pytest.param(day(3), Reason.WITHDRAWN, id="the moment it is recorded the withdrawal applies"),
        pytest.param(day(0), Reason.NO_RECORD, id="before anything was recorded there was nothing"),
    ],
)
def test_withdrawal_takes_effect_at_once_and_history_answers_for_the_past(at, expected):
    history = [grant(G, day(1), MUM), refuse(G, day(3), MUM)]
    check(CHILD, history, expected, at=at)


@pytest.mark.parametrize(
    "history, expected",
    [
        pytest.param([grant(G, day(1), MUM)], Reason.IN_FORCE, id="face matching granted by a PR guardian"),
        pytest.param([grant(G, day(1), MUM), refuse(G, day(2), DAD)], Reason.REFUSED, id="face matching refused by the other PR guardian"),
        pytest.param([grant(G, day(1), MUM), refuse(OBJ, day(2))], Reason.CHILD_OBJECTED, id="face matching against the child's objection"),
    ],
)
def test_face_matching_follows_the_same_rules(history, expected):
    # The rules are purpose-blind: callers pass the face-matching history exactly like a channel's.
    check(CHILD, history, expected)


def test_naive_times_are_read_as_utc():
    naive_history = [grant(SELF, datetime(2025, 9, 2, 9, 0))]
    check(STAFF, naive_history, Reason.IN_FORCE, at=datetime(2025, 9, 3))
