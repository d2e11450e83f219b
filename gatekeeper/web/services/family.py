"""What a parent or carer sees and changes: only children they are linked to, consent per purpose,
history, a withdrawal of everything, and a download of all data held about a child."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import audit, records, templates
from consent_db.consent import consent_in_force, history
from consent_db.models import (
    AuditEvent, Channel, ConsentDecision, Decision, Guardian, GuardianLink, Person,
)
from consent_db.timeutil import utc
from consent_db.verdicts import FACE_MATCHING, Verdict
from gatekeeper.app import policy
from gatekeeper.app.principal import Principal
from gatekeeper.gate.queue import media_showing


class FamilyError(Exception):
    """A parent asked for something they may not do; the message is one plain sentence."""


@dataclass(frozen=True)
class PurposeLine:
    """One switch on a child's page: a channel or face matching."""

    purpose: int | str
    name: str
    description: str
    in_force: Verdict
    my_decision: Decision | None


# The ownership rule lives in the policy; a child not linked to the parent is answered as not found.
NotYourChild = policy.NotYourChild


def children_of(session: Session, principal: Principal) -> list[tuple[Person, GuardianLink]]:
    """The parent's children in their setting, by first name."""
    rows = session.execute(
        select(Person, GuardianLink).join(GuardianLink, GuardianLink.child_id == Person.id)
        .where(GuardianLink.guardian_id == principal.guardian_id, Person.setting_id == principal.setting_id)
        .order_by(Person.first_name, Person.id)
    ).all()
    return [(person, link) for person, link in rows]


def child_for(session: Session, principal: Principal, child_id: int) -> tuple[Person, GuardianLink]:
    """The child with this id if it is the parent's own; raises NotYourChild otherwise."""
    return policy.own_child(session, principal, child_id)


def _my_latest(session: Session, child_id: int, guardian_id: int) -> dict[int | str, Decision]:
    rows = session.scalars(
        select(ConsentDecision).where(ConsentDecision.person_id == child_id, ConsentDecision.guardian_id == guardian_id)
        .order_by(ConsentDecision.recorded_at, ConsentDecision.id)
    )
    latest: dict[int | str, Decision] = {}
    for row in rows:
        latest[FACE_MATCHING if row.face_matching else row.channel_id] = row.decision
    return latest


def purposes(session: Session, setting_id: int) -> list[Channel]:
    return records.list_channels(session, setting_id=setting_id)


def overview(session: Session, principal: Principal, child_id: int, *, at: datetime) -> list[PurposeLine]:
    """Every channel, then face matching: what is in force and what this guardian last said."""
    child, _ = child_for(session, principal, child_id)
    mine = _my_latest(session, child_id, principal.guardian_id)
    lines = []
    for channel in purposes(session, child.setting_id):
        verdict = consent_in_force(session, [child_id], channel.id, at)[child_id]
        lines.append(PurposeLine(channel.id, channel.name, channel.description, verdict, mine.get(channel.id)))
    verdict = consent_in_force(session, [child_id], FACE_MATCHING, at)[child_id]
    lines.append(PurposeLine(FACE_MATCHING, "Face matching", "", verdict, mine.get(FACE_MATCHING)))
    return lines


def parse_purpose(raw: str) -> int | str:
    """A purpose from a form value: a channel id or 'face-matching'; raises FamilyError."""
    raw = (raw or "").strip()
    if raw == FACE_MATCHING:
        return FACE_MATCHING
    if raw.isdigit():
        return int(raw)
    raise FamilyError("Choose a channel or face matching.")


def guardian_names(session: Session, child_id: int) -> dict[int, str]:
    """The names of a child's guardians, by guardian id (for wording history lines)."""
    rows = session.execute(
        select(Guardian.id, Guardian.name).join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .where(GuardianLink.child_id == child_id)
    )
    return {gid: name for gid, name in rows}


def _stamp(moment: datetime | None) -> str | None:
    return utc(moment).isoformat() if moment else None


def export(session: Session, principal: Principal, child_id: int, *, at: datetime) -> dict:
    """All data held about the child, as plain data for a JSON download; raises NotYourChild."""
    child, _ = child_for(session, principal, child_id)
    channels = {c.id: c for c in purposes(session, child.setting_id)}
    names = guardian_names(session, child_id)
    links = records.guardian_links(session, child_id)
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject == f"person:{child_id}").order_by(AuditEvent.id))
    return {
        "exported_at": _stamp(at),
        "child": {
            "id": child.id, "first_name": child.first_name, "surname": child.surname,
            "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
            "start_date": child.start_date.isoformat() if child.start_date else None,
            "leaving_date": child.leaving_date.isoformat() if child.leaving_date else None,
            "room": child.room,
        },
        "guardians": [{"name": names.get(link.guardian_id), "parental_responsibility": link.parental_responsibility}
                      for link in links],
        "consent_in_force": [
            {"purpose": line.name, "allowed": line.in_force.allowed, "reason": line.in_force.reason.value,
             "detail": line.in_force.detail}
            for line in overview(session, principal, child_id, at=at)
        ],
        "consent_history": [
            {"at": _stamp(row.recorded_at),
             "purpose": "face matching" if row.face_matching else channels[row.channel_id].name,
             "decision": row.decision.value, "given_by": row.given_by.value,
             "guardian": names.get(row.guardian_id) if row.guardian_id else None, "method": row.method.value,
             "evidence": row.evidence, "expires": _stamp(row.expires_at)}
            for row in history(session, child_id, setting_id=child.setting_id)
        ],
        "face_templates_stored": templates.count_templates(session, child_id),
        "media_showing_the_child": [
            {"item": m.public_id, "kind": m.kind, "received_at": _stamp(m.received_at), "state": m.state,
             "publications": [{**p, "published_at": _stamp(p["published_at"]), "ended_at": _stamp(p["ended_at"])}
                              for p in m.publications]}
            for m in media_showing(session, child_id)
        ],
        "audit_events": [audit.event_as_dict(event) for event in events],
    }
