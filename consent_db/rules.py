"""The consent rules as one pure function: a person's facts and decision history -> a Verdict.

- Opt-in: no decision means no consent.
- A child: at least one guardian with parental responsibility (PR) grants and no PR guardian's
  latest word is a refusal; guardians without PR do not count. A Manager's paper-form entry
  speaks for the guardian who signed it. The child's own objection (recorded by staff) beats
  every grant until a later CHILD_OBJECTION grant lifts it.
- Staff decide for themselves (directly, or on a paper form the Manager enters).
- An expired grant is no grant; a refusal never expires. Consent ends on the leaving date
  (from the start of that UTC day) unless the setting opts out.
- Only decisions recorded at or before `at` count, so withdrawal takes effect at once and the
  answer for any past moment stays reproducible from the untouched history.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Hashable, Mapping, Sequence

from consent_db.models.consent import Decision, GivenBy
from consent_db.timeutil import long_date, start_of, utc
from consent_db.verdicts import Reason, Verdict


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need about a person; guardians maps guardian id -> holds PR."""

    person_id: int
    is_child: bool
    leaving_date: date | None = None
    ends_on_leaving: bool = True
    guardians: Mapping[int, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class DecisionFact:
    """One recorded decision, as the rules see it."""

    decision: Decision
    given_by: GivenBy
    recorded_at: datetime
    guardian_id: int | None = None
    expires_at: datetime | None = None
    # What people read: the guardian's name, never their record number.
    guardian_name: str | None = None


def _day(moment: datetime | date) -> str:
    return long_date(moment)


def _guardian(fact: DecisionFact) -> str:
    return fact.guardian_name or "a parent or carer"


def _who(fact: DecisionFact) -> str:
    if fact.given_by is GivenBy.SELF:
        return "themself"
    if fact.given_by is GivenBy.MANAGER:
        suffix = f" signed by {_guardian(fact)}" if fact.guardian_id else ""
        return f"the Manager from a paper form{suffix}"
    if fact.given_by is GivenBy.GUARDIAN:
        return _guardian(fact)
    return "staff recording the child's objection"


def _voice(person: PersonFacts, fact: DecisionFact) -> Hashable | None:
    """Whose say a decision is, or None when it does not count for this person."""
    if not person.is_child:
        return "self" if fact.given_by in (GivenBy.SELF, GivenBy.MANAGER) else None
    if fact.given_by not in (GivenBy.GUARDIAN, GivenBy.MANAGER):
        return None
    if fact.guardian_id is None:
        # A paper form naming no guardian cannot be checked for PR; it is its own voice so that
        # a refusal on it still holds (validation stops new ones being recorded).
        return "paper-form" if fact.given_by is GivenBy.MANAGER else None
    return fact.guardian_id if person.guardians.get(fact.guardian_id) else None


def _combine(person_id: int, voices: dict[Hashable, list[DecisionFact]], at: datetime) -> Verdict:
    latest = {voice: facts[-1] for voice, facts in voices.items()}
    refusals = [(voice, f) for voice, f in latest.items() if f.decision is Decision.REFUSE]
    if refusals:
        voice, fact = max(refusals, key=lambda pair: pair[1].recorded_at)
        granted_before = any(f.decision is Decision.GRANT for f in voices[voice])
        reason = Reason.WITHDRAWN if granted_before else Reason.REFUSED
        verb = "withdrawn" if granted_before else "refused"
        return Verdict(person_id, False, reason, f"{verb} by {_who(fact)} on {_day(fact.recorded_at)}")
    grants = [f for f in latest.values() if f.decision is Decision.GRANT]
    live = [f for f in grants if f.expires_at is None or at < utc(f.expires_at)]
    if live:
        fact = max(live, key=lambda f: f.recorded_at)
        until = f", until {_day(fact.expires_at)}" if fact.expires_at else ""
        return Verdict(person_id, True, Reason.IN_FORCE, f"granted by {_who(fact)} on {_day(fact.recorded_at)}{until}")
    if grants:
        fact = max(grants, key=lambda f: f.expires_at)
        return Verdict(person_id, False, Reason.EXPIRED, f"the grant by {_who(fact)} expired on {_day(fact.expires_at)}")
    return Verdict(person_id, False, Reason.NO_RECORD, "nobody with a say has granted consent")


def verdict(
    person_id: int, person: PersonFacts | None, history: Sequence[DecisionFact], at: datetime
) -> Verdict:
    """Consent in force for one person and one purpose at `at`, with the reason."""
    if person is None:
        return Verdict(person_id, False, Reason.UNKNOWN_PERSON, f"there is no person {person_id}")
    at = utc(at)
    if person.ends_on_leaving and person.leaving_date and at >= start_of(person.leaving_date):
        return Verdict(person_id, False, Reason.LEFT_SETTING, f"left the setting on {_day(person.leaving_date)}")
    past = sorted((f for f in history if utc(f.recorded_at) <= at), key=lambda f: utc(f.recorded_at))
    if person.is_child:
        objections = [f for f in past if f.given_by is GivenBy.CHILD_OBJECTION]
        if objections and objections[-1].decision is Decision.REFUSE:
            return Verdict(
                person_id, False, Reason.CHILD_OBJECTED,
                f"the child's objection was recorded on {_day(objections[-1].recorded_at)}",
            )
        if not any(person.guardians.values()):
            return Verdict(person_id, False, Reason.NO_GUARDIAN, "nobody with parental responsibility is recorded")
    voices: dict[Hashable, list[DecisionFact]] = {}
    for fact in past:
        voice = _voice(person, fact)
        if voice is not None:
            voices.setdefault(voice, []).append(fact)
    return _combine(person_id, voices, at)
