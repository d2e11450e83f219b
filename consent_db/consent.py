"""Recording consent decisions (append-only, validated, audited) and asking what is in force.

GivenBy.CHILD_OBJECTION with Decision.REFUSE records a child's own objection; with
Decision.GRANT it records that the objection was lifted (it grants nothing by itself).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import audit, templates
from consent_db.audit import AuditTag
from consent_db.inforce import Purpose, consent_in_force, purpose_clause
from consent_db.models import ConsentDecision, Decision, GivenBy, GuardianLink, Method, Person, PersonKind
from consent_db.records import RecordsError, get_channel, get_guardian, get_person, list_channels
from consent_db.timeutil import start_of, utc
from consent_db.verdicts import FACE_MATCHING, Verdict

__all__ = ["ConsentChange", "InvalidDecision", "consent_in_force", "history", "person_consent", "record_decision"]


class InvalidDecision(RecordsError):
    """The decision cannot be recorded as given; the message says why. Nothing was stored."""


@dataclass(frozen=True)
class ConsentChange:
    """What one recorded decision did: the verdict before and after, and any templates deleted."""

    person_id: int
    purpose: Purpose
    decision_id: int
    before: Verdict
    after: Verdict
    templates_deleted: int = 0

    @property
    def ended(self) -> bool:
        """True when consent was in force and no longer is: the gate must take media down."""
        return self.before.allowed and not self.after.allowed


def _enum(enum_cls, value, what: str):
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise InvalidDecision(f"{what} {value!r} is not one of: {allowed}") from None


def _check_voice(session: Session, person: Person, given_by: GivenBy, guardian_id: int | None, evidence: str | None) -> None:
    is_child = person.kind is PersonKind.CHILD
    if given_by is GivenBy.MANAGER and not (evidence or "").strip():
        raise InvalidDecision("a paper form entered by the Manager needs an evidence note (where the form is kept)")
    if given_by is GivenBy.SELF and is_child:
        raise InvalidDecision(f"{person.full_name} is a child: 'self' is only for staff")
    if given_by is GivenBy.CHILD_OBJECTION and not is_child:
        raise InvalidDecision(f"{person.full_name} is staff: a child's objection is only for children")
    if given_by is GivenBy.GUARDIAN and not is_child:
        raise InvalidDecision(f"{person.full_name} is staff: staff decide for themselves")
    if given_by in (GivenBy.SELF, GivenBy.CHILD_OBJECTION) or (given_by is GivenBy.MANAGER and not is_child):
        if guardian_id is not None:
            raise InvalidDecision(f"a decision given by {given_by.value} names no guardian")
        return
    if guardian_id is None:
        raise InvalidDecision(f"a decision for {person.full_name} must name the guardian with parental responsibility who gave it")
    guardian = get_guardian(session, guardian_id, setting_id=person.setting_id)
    link = session.get(GuardianLink, (guardian_id, person.id))
    if link is None:
        raise InvalidDecision(f"{guardian.name} is not a guardian of {person.full_name}")
    if not link.parental_responsibility:
        raise InvalidDecision(f"{guardian.name} has no parental responsibility for {person.full_name}, so cannot decide")


def _expiry(expires: date | datetime | None, decision: Decision, at: datetime) -> datetime | None:
    if expires is None:
        return None
    if decision is not Decision.GRANT:
        raise InvalidDecision("only a grant can carry an expiry date; a refusal stands until changed")
    moment = start_of(expires)
    if moment <= at:
        raise InvalidDecision(f"the expiry {moment.date().isoformat()} is not after the decision")
    return moment


def _same_voice(given_by: GivenBy, guardian_id: int | None):
    if given_by in (GivenBy.SELF, GivenBy.MANAGER) and guardian_id is None:
        return ConsentDecision.given_by.in_([GivenBy.SELF, GivenBy.MANAGER]) & ConsentDecision.guardian_id.is_(None)
    if guardian_id is not None:
        return ConsentDecision.guardian_id == guardian_id
    return ConsentDecision.given_by == given_by


def _tag(given_by: GivenBy, decision: Decision, before: Verdict, voice_had_granted: bool) -> AuditTag:
    if given_by is GivenBy.CHILD_OBJECTION:
        return AuditTag.CONSENT_CHILD_OBJECTED if decision is Decision.REFUSE else AuditTag.CONSENT_OBJECTION_LIFTED
    if decision is Decision.GRANT:
        return AuditTag.CONSENT_GRANTED
    return AuditTag.CONSENT_WITHDRAWN if (before.allowed or voice_had_granted) else AuditTag.CONSENT_REFUSED


def record_decision(
    session: Session, *, setting_id: int, person_id: int, purpose: Purpose, decision: Decision | str,
    given_by: GivenBy | str,
    guardian_id: int | None = None, method: Method | str, actor_account_id: int | None = None,
    device_id: int | None = None, expires: date | datetime | None = None, evidence: str | None = None,
    at: datetime, actor_label: str | None = None,
) -> ConsentChange:
    """Append one decision for a person of this setting, audit it, and delete templates if face matching
    stops; raises RecordsError (nothing recorded)."""
    at = utc(at)
    person = get_person(session, person_id, setting_id=setting_id)
    if purpose != FACE_MATCHING:
        purpose_clause(purpose)
        get_channel(session, int(purpose), setting_id=person.setting_id)
    decision = _enum(Decision, decision, "decision")
    given_by = _enum(GivenBy, given_by, "given by")
    method = _enum(Method, method, "method")
    _check_voice(session, person, given_by, guardian_id, evidence)
    expires_at = _expiry(expires, decision, at)
    past = select(ConsentDecision).where(ConsentDecision.person_id == person_id, purpose_clause(purpose))
    if session.scalars(past.where(ConsentDecision.recorded_at > at).limit(1)).first() is not None:
        raise InvalidDecision("a later decision is already recorded: decisions cannot be back-dated")
    last_of_voice = session.scalars(
        past.where(_same_voice(given_by, guardian_id)).order_by(ConsentDecision.recorded_at.desc(), ConsentDecision.id.desc()).limit(1)
    ).first()

    before = consent_in_force(session, [person_id], purpose, at)[person_id]
    row = ConsentDecision(
        person_id=person_id, channel_id=None if purpose == FACE_MATCHING else int(purpose),
        face_matching=purpose == FACE_MATCHING, decision=decision, given_by=given_by, guardian_id=guardian_id,
        method=method, evidence=(evidence or "").strip() or None, actor_account_id=actor_account_id,
        device_id=device_id, recorded_at=at, expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    after = consent_in_force(session, [person_id], purpose, at)[person_id]
    voice_had_granted = last_of_voice is not None and last_of_voice.decision is Decision.GRANT
    audit.record(
        session, _tag(given_by, decision, before, voice_had_granted), subject=f"person:{person_id}",
        setting_id=person.setting_id, actor_account_id=actor_account_id, actor_label=actor_label,
        device_id=device_id, at=at,
        details={
            "decision_id": row.id, "purpose": purpose, "decision": decision.value, "given_by": given_by.value,
            "guardian_id": guardian_id, "method": method.value, "expires": expires_at.isoformat() if expires_at else None,
            "evidence": row.evidence, "before": before.reason.value, "after": after.reason.value,
        },
    )
    deleted = 0
    if purpose == FACE_MATCHING and not after.allowed:
        deleted = templates.delete_person_templates(
            session, person_id, reason=f"face-matching consent not in force: {after.reason.value}",
            actor_account_id=actor_account_id, actor_label=actor_label, device_id=device_id, at=at,
        )
    return ConsentChange(person_id, purpose, row.id, before, after, deleted)


@dataclass(frozen=True)
class PurposeVerdict:
    """One line of a person's consent summary."""

    purpose: Purpose
    label: str
    verdict: Verdict


def person_consent(session: Session, person_id: int, *, setting_id: int, at: datetime) -> list[PurposeVerdict]:
    """The person's consent in force for every channel of their setting and for face matching."""
    person = get_person(session, person_id, setting_id=setting_id)
    lines = [
        PurposeVerdict(channel.id, channel.slug, consent_in_force(session, [person_id], channel.id, at)[person_id])
        for channel in list_channels(session, setting_id=person.setting_id)
    ]
    lines.append(PurposeVerdict(FACE_MATCHING, FACE_MATCHING, consent_in_force(session, [person_id], FACE_MATCHING, at)[person_id]))
    return lines


def history(session: Session, person_id: int, *, setting_id: int) -> list[ConsentDecision]:
    """Every decision recorded for a person of this setting, oldest first; raises UnknownPerson."""
    get_person(session, person_id, setting_id=setting_id)
    query = select(ConsentDecision).where(ConsentDecision.person_id == person_id)
    return list(session.scalars(query.order_by(ConsentDecision.recorded_at, ConsentDecision.id)))
