"""Consent in force for many people at once: two queries per 10,000 ids, then the pure rules.

Kept apart from consent.py so that templates (which consent.py calls) can use it without a cycle;
callers import it as consent_db.consent.consent_in_force.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from consent_db.models import ConsentDecision, Guardian, GuardianLink, Person, PersonKind, Setting
from consent_db.rules import DecisionFact, PersonFacts, verdict
from consent_db.timeutil import utc
from consent_db.verdicts import FACE_MATCHING, Verdict

Purpose = int | str  # a channel id, or FACE_MATCHING

# Below SQLite's and PostgreSQL's bound-parameter limits; one chunk covers any single setting.
ID_CHUNK = 10_000


def purpose_clause(purpose: Purpose) -> ColumnElement[bool]:
    """The WHERE clause selecting decisions for one purpose; raises TypeError for anything else."""
    if purpose == FACE_MATCHING:
        return ConsentDecision.face_matching.is_(True)
    if isinstance(purpose, bool) or not isinstance(purpose, int):
        raise TypeError(f"purpose must be a channel id or {FACE_MATCHING!r}, not {purpose!r}")
    return ConsentDecision.channel_id == purpose


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def _load_people(session: Session, ids: list[int]) -> dict[int, PersonFacts]:
    rows = session.execute(
        select(
            Person.id, Person.kind, Person.leaving_date, Setting.consent_ends_on_leaving,
            GuardianLink.guardian_id, GuardianLink.parental_responsibility,
        )
        .join(Setting, Setting.id == Person.setting_id)
        .outerjoin(GuardianLink, GuardianLink.child_id == Person.id)
        .where(Person.id.in_(ids))
    )
    basics: dict[int, tuple] = {}
    guardians: dict[int, dict[int, bool]] = defaultdict(dict)
    for pid, kind, leaving, ends, guardian_id, has_pr in rows:
        basics[pid] = (kind, leaving, ends)
        if guardian_id is not None:
            guardians[pid][guardian_id] = bool(has_pr)
    return {
        pid: PersonFacts(pid, kind is PersonKind.CHILD, leaving, bool(ends), guardians.get(pid, {}))
        for pid, (kind, leaving, ends) in basics.items()
    }


def _load_history(session: Session, ids: list[int], purpose: Purpose, at: datetime) -> dict[int, list[DecisionFact]]:
    rows = session.execute(
        select(
            ConsentDecision.person_id, ConsentDecision.decision, ConsentDecision.given_by,
            ConsentDecision.recorded_at, ConsentDecision.guardian_id, ConsentDecision.expires_at, Guardian.name,
        )
        .outerjoin(Guardian, Guardian.id == ConsentDecision.guardian_id)
        .where(ConsentDecision.person_id.in_(ids), purpose_clause(purpose), ConsentDecision.recorded_at <= at)
        .order_by(ConsentDecision.person_id, ConsentDecision.recorded_at, ConsentDecision.id)
    )
    history: dict[int, list[DecisionFact]] = defaultdict(list)
    for pid, decision, given_by, recorded_at, guardian_id, expires_at, guardian_name in rows:
        history[pid].append(DecisionFact(decision, given_by, recorded_at, guardian_id, expires_at, guardian_name))
    return history


def consent_in_force(session: Session, person_ids: Iterable[int], purpose: Purpose, at: datetime) -> dict[int, Verdict]:
    """Each person's verdict for a channel id or FACE_MATCHING at `at`; unknown ids get UNKNOWN_PERSON."""
    at = utc(at)
    purpose_clause(purpose)  # reject a bad purpose even when there is nobody to ask about
    ids = sorted({int(pid) for pid in person_ids})
    result: dict[int, Verdict] = {}
    for chunk in _chunks(ids):
        people = _load_people(session, chunk)
        history = _load_history(session, chunk, purpose, at)
        for pid in chunk:
            result[pid] = verdict(pid, people.get(pid), history.get(pid, ()), at)
    return result
