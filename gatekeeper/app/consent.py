"""Consent decisions from every door (paper form, a child's objection, the parent portal, the command
line), each recorded with its events: the change now, and its expiry at the exact moment it lapses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from consent_db import records
from consent_db.consent import ConsentChange, PurposeVerdict, person_consent, record_decision
from consent_db.models import Decision, GivenBy, Method, Person
from consent_db.timeutil import start_of
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.app import policy
from gatekeeper.app.events import ConsentChanged, ConsentLapses, ConsentWithdrawn
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork

ALL_PURPOSES = "all"


def _emit(uow: UnitOfWork, setting_id: int, change: ConsentChange, expires: date | None) -> None:
    uow.emit(ConsentChanged(setting_id, change.person_id, change.purpose, change.after.allowed, change.ended))
    if change.ended:
        uow.emit(ConsentWithdrawn(setting_id, change.person_id, change.purpose, change.decision_id))
    if expires is not None and change.after.allowed:
        uow.emit(ConsentLapses(setting_id, change.person_id, "expiry"), due_at=start_of(expires))


def _purposes(uow: UnitOfWork, principal: Principal, purpose: int | str) -> list[int | str]:
    """Channel ids (checked to be the setting's) and face matching; "all" is every one of them."""
    if purpose == ALL_PURPOSES:
        channels = records.list_channels(uow.session, setting_id=principal.setting_id)
        return [c.id for c in channels] + [FACE_MATCHING]
    if purpose == FACE_MATCHING:
        return [FACE_MATCHING]
    return [records.get_channel(uow.session, purpose, setting_id=principal.setting_id).id]


def record_consent(uow: UnitOfWork, principal: Principal, *, person_id: int, purpose: int | str,
                   decision: Decision | str, given_by: GivenBy, method: Method, guardian_id: int | None = None,
                   evidence: str | None = None, expires: date | str | None = None) -> list[ConsentChange]:
    """Record a decision for one purpose (a channel id or slug, face-matching, or "all") of a person of the
    principal's setting; raises RecordsError (nothing recorded) or PolicyError."""
    policy.require(principal, Action.CONSENT_RECORD)
    expiry = records.parse_date(expires, "expiry date")
    with uow:
        records.get_person(uow.session, person_id, setting_id=principal.setting_id)
        if guardian_id is not None:
            records.get_guardian(uow.session, guardian_id, setting_id=principal.setting_id)
        changes = []
        for target in _purposes(uow, principal, purpose):
            change = record_decision(uow.session, setting_id=principal.setting_id, person_id=person_id, purpose=target, decision=decision,
                                     given_by=given_by, guardian_id=guardian_id, method=method, evidence=evidence,
                                     expires=expiry, at=uow.at, actor_account_id=principal.account_id,
                                     device_id=principal.device_id, actor_label=principal.actor.label)
            _emit(uow, principal.setting_id, change, expiry)
            changes.append(change)
    return changes


def decide_for_child(uow: UnitOfWork, principal: Principal, child_id: int, purpose: int | str,
                     decision: Decision | str) -> ConsentChange:
    """A parent's grant or withdrawal through the portal; raises PolicyError (not their child, no parental
    responsibility) or RecordsError."""
    with uow:
        return _decide(uow, principal, child_id, purpose, decision)


def _decide(uow: UnitOfWork, principal: Principal, child_id: int, purpose: int | str,
            decision: Decision | str) -> ConsentChange:
    policy.may_decide_for(uow.session, principal, child_id)
    if purpose != FACE_MATCHING:
        records.get_channel(uow.session, purpose, setting_id=principal.setting_id)
    change = record_decision(uow.session, setting_id=principal.setting_id, person_id=child_id, purpose=purpose, decision=decision,
                             given_by=GivenBy.GUARDIAN, guardian_id=principal.guardian_id, method=Method.PORTAL,
                             actor_account_id=principal.account_id, device_id=principal.device_id, at=uow.at)
    _emit(uow, principal.setting_id, change, None)
    return change


def decide_for_self(uow: UnitOfWork, principal: Principal, purpose: int | str,
                    decision: Decision | str) -> ConsentChange:
    """A staff member's own grant or withdrawal for one channel or face matching; raises PolicyError (no
    staff record linked to the account) or RecordsError."""
    with uow:
        person = policy.own_staff_record(uow.session, principal)
        if purpose != FACE_MATCHING:
            records.get_channel(uow.session, purpose, setting_id=principal.setting_id)
        change = record_decision(uow.session, setting_id=principal.setting_id, person_id=person.id, purpose=purpose,
                                 decision=decision, given_by=GivenBy.SELF, method=Method.PORTAL,
                                 actor_account_id=principal.account_id, device_id=principal.device_id, at=uow.at)
        _emit(uow, principal.setting_id, change, None)
        return change


def own_consent(uow: UnitOfWork, principal: Principal) -> ConsentSummary:
    """The staff member's own consent in force now, per channel and face matching; raises PolicyError."""
    with uow:
        person = policy.own_staff_record(uow.session, principal)
        names = {c.id: c.name for c in records.list_channels(uow.session, setting_id=principal.setting_id)}
        lines = [PurposeVerdict(line.purpose, names.get(line.purpose, "Face matching"), line.verdict)
                 for line in person_consent(uow.session, person.id, setting_id=principal.setting_id, at=uow.at)]
        return ConsentSummary(person, lines)


def withdraw_everything(uow: UnitOfWork, principal: Principal, child_id: int) -> list[ConsentChange]:
    """Refuse every channel and face matching for the parent's child in one transaction."""
    with uow:
        policy.may_decide_for(uow.session, principal, child_id)
        all_purposes = [c.id for c in records.list_channels(uow.session, setting_id=principal.setting_id)]
        return [_decide(uow, principal, child_id, p, Decision.REFUSE) for p in all_purposes + [FACE_MATCHING]]


@dataclass(frozen=True)
class ConsentSummary:
    person: Person
    lines: list[PurposeVerdict]


def consent_summary(uow: UnitOfWork, principal: Principal, person_id: int) -> ConsentSummary:
    """Consent in force now for each channel and face matching; raises UnknownPerson."""
    policy.require(principal, Action.CONSENT_READ)
    with uow:
        person = records.get_person(uow.session, person_id, setting_id=principal.setting_id)
        return ConsentSummary(person, person_consent(uow.session, person_id, setting_id=principal.setting_id,
                                                     at=uow.at))
