"""Changing and archiving people, guardians and channels: validated, audited, never deleted.

Audit details name which fields changed and, for dates and flags, from what to what; names and
emails stay out of them because the log outlives erasure requests.
"""
from __future__ import annotations

from dataclasses import dataclass, fields as dataclass_fields
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Channel, Guardian, GuardianLink, Person
from consent_db.records import (EMAIL_RE, InvalidRecord, PersonFields, _name, get_channel, get_guardian,
                                get_person)
from consent_db.timeutil import now, utc

# Person fields -> model attributes; names are audited as "changed", never by value.
PERSON_COLUMNS = {"first_name": "first_name", "surname": "surname", "born": "date_of_birth",
                  "starts": "start_date", "leaves": "leaving_date", "room": "room"}
PRIVATE = {"first_name", "surname"}


class Archived(InvalidRecord):
    """The record is archived: it can be read, not changed."""


@dataclass(frozen=True)
class PersonChange:
    """What an edit changed: field -> (old, new); empty when nothing did."""

    person: Person
    changed: dict[str, tuple]

    @property
    def leaving_changed(self) -> bool:
        return "leaves" in self.changed


def person_differences(person: Person, fields: PersonFields, only: set[str] | None = None) -> dict[str, tuple]:
    """field -> (stored, given) for every field that differs (of `only`, when given); kind never changes."""
    found = {}
    for field in dataclass_fields(PersonFields):
        name = field.name
        if name == "kind" or (only is not None and name not in only):
            continue
        old, new = getattr(person, PERSON_COLUMNS[name]), getattr(fields, name)
        if old != new:
            found[name] = (old, new)
    return found


def _check_dates(person: Person) -> None:
    born, starts, leaves = person.date_of_birth, person.start_date, person.leaving_date
    if born and born > now().date():
        raise InvalidRecord(f"date of birth {born} is in the future")
    if born and starts and starts < born:
        raise InvalidRecord(f"start date {starts} is before the date of birth {born}")
    if starts and leaves and leaves < starts:
        raise InvalidRecord(f"leaving date {leaves} is before the start date {starts}")


def _audited(changed: dict[str, tuple]) -> dict:
    return {name: "changed" if name in PRIVATE else {"from": old, "to": new} for name, (old, new) in changed.items()}


def update_person(session: Session, person_id: int, fields: PersonFields, *, setting_id: int, actor: Actor,
                  at: datetime | None = None, only: set[str] | None = None, source: str = "manual") -> PersonChange:
    """Store the differences between the person and `fields` (only those named, when given).

    Raises UnknownPerson, Archived, or InvalidRecord (kind cannot change; dates out of order).
    """
    person = get_person(session, person_id, setting_id=setting_id)
    if person.archived_at is not None:
        raise Archived(f"{person.full_name} is archived: restore them before changing their details")
    if fields.kind is not person.kind:
        raise InvalidRecord(f"person {person_id} is {person.kind.value}, not {fields.kind.value}: kind cannot change")
    changed = person_differences(person, fields, only)
    if not changed:
        return PersonChange(person, {})
    for name, (_, new) in changed.items():
        setattr(person, PERSON_COLUMNS[name], new)
    _check_dates(person)
    session.flush()
    audit.record(session, AuditTag.PERSON_UPDATED, subject=f"person:{person.id}", setting_id=setting_id,
                 details={**_audited(changed), "source": source}, at=at, **actor.fields())
    return PersonChange(person, changed)


def archive_person(session: Session, person_id: int, *, setting_id: int, actor: Actor,
                   at: datetime | None = None) -> PersonChange:
    """Hide a person from default lists; a leaving date later than today (or none) becomes today, so
    consent ends at once where the setting ends consent on leaving. Raises UnknownPerson or Archived."""
    at = utc(at or now())
    person = get_person(session, person_id, setting_id=setting_id)
    if person.archived_at is not None:
        raise Archived(f"{person.full_name} is already archived")
    changed: dict[str, tuple] = {}
    today = at.date()
    if person.leaving_date is None or person.leaving_date > today:
        changed["leaves"] = (person.leaving_date, today)
        person.leaving_date = today
        if person.start_date and person.start_date > today:
            # Never started: keep the dates in order rather than refuse to archive a mistaken record.
            changed["starts"] = (person.start_date, today)
            person.start_date = today
    person.archived_at = at
    session.flush()
    audit.record(session, AuditTag.PERSON_ARCHIVED, subject=f"person:{person.id}", setting_id=setting_id,
                 details=_audited(changed), at=at, **actor.fields())
    return PersonChange(person, changed)


def restore_person(session: Session, person_id: int, *, setting_id: int, actor: Actor,
                   at: datetime | None = None) -> Person:
    """Show an archived person again; the leaving date stays (clear it to let consent count again)."""
    person = get_person(session, person_id, setting_id=setting_id)
    return _unarchive(session, person, person.full_name, AuditTag.PERSON_RESTORED, f"person:{person.id}",
                      setting_id=setting_id, actor=actor, at=at)


def _unarchive(session: Session, record, name: str, tag: AuditTag, subject: str, *, setting_id: int,
               actor: Actor, at: datetime | None, details: dict | None = None):
    """Clear an archived record's mark and audit it; raises InvalidRecord when it is not archived."""
    if record.archived_at is None:
        raise InvalidRecord(f"{name} is not archived")
    record.archived_at = None
    session.flush()
    audit.record(session, tag, subject=subject, setting_id=setting_id, details=details or {}, at=at,
                 **actor.fields())
    return record


def _clean_email(email: str) -> str:
    clean = (email or "").strip().casefold()
    if not EMAIL_RE.match(clean) or len(clean) > 320:
        raise InvalidRecord(f"{email!r} is not an email address")
    return clean


def update_guardian(session: Session, guardian_id: int, *, setting_id: int, name: str, email: str,
                    phone: str | None, actor: Actor, at: datetime | None = None) -> list[str]:
    """Change a guardian's name, email or phone; returns the fields changed.

    Raises UnknownGuardian, Archived, or InvalidRecord (bad or taken email, empty name).
    """
    guardian = get_guardian(session, guardian_id, setting_id=setting_id)
    if guardian.archived_at is not None:
        raise Archived(f"{guardian.name} is archived")
    values = {"name": _name(name, "guardian name"), "email": _clean_email(email),
              "phone": (phone or "").strip() or None}
    if values["phone"] and len(values["phone"]) > 50:
        raise InvalidRecord("the phone number is longer than 50 characters")
    if values["email"] != guardian.email:
        taken = session.scalars(select(Guardian.id).where(
            Guardian.setting_id == setting_id, func.lower(Guardian.email) == values["email"],
            Guardian.id != guardian.id)).first()
        if taken is not None:
            raise InvalidRecord(f"{values['email']} is already the email of guardian {taken}")
    changed = [key for key, value in values.items() if getattr(guardian, key) != value]
    if changed:
        for key in changed:
            setattr(guardian, key, values[key])
        session.flush()
        audit.record(session, AuditTag.GUARDIAN_UPDATED, subject=f"guardian:{guardian.id}", setting_id=setting_id,
                     details={"changed": changed}, at=at, **actor.fields())
    return changed


def set_parental_responsibility(session: Session, guardian_id: int, child_id: int, holds: bool, *,
                                setting_id: int, actor: Actor, at: datetime | None = None) -> bool:
    """Say whether a linked guardian holds parental responsibility for a child; True when it changed.

    Raises UnknownGuardian, UnknownPerson or InvalidRecord (not linked).
    """
    get_guardian(session, guardian_id, setting_id=setting_id)
    get_person(session, child_id, setting_id=setting_id)
    link = session.get(GuardianLink, (guardian_id, child_id))
    if link is None:
        raise InvalidRecord(f"guardian {guardian_id} is not linked to child {child_id}")
    if link.parental_responsibility == holds:
        return False
    link.parental_responsibility = holds
    session.flush()
    audit.record(session, AuditTag.GUARDIAN_RESPONSIBILITY_CHANGED, subject=f"person:{child_id}",
                 setting_id=setting_id, details={"guardian_id": guardian_id, "parental_responsibility": holds},
                 at=at, **actor.fields())
    return True


def archive_guardian(session: Session, guardian_id: int, *, setting_id: int, actor: Actor,
                     at: datetime | None = None) -> Guardian:
    """Hide a guardian from default lists. Their links and decisions stay as they are: taking away
    their say in consent is a separate, explicit change of parental responsibility."""
    at = utc(at or now())
    guardian = get_guardian(session, guardian_id, setting_id=setting_id)
    if guardian.archived_at is not None:
        raise Archived(f"{guardian.name} is already archived")
    guardian.archived_at = at
    session.flush()
    audit.record(session, AuditTag.GUARDIAN_ARCHIVED, subject=f"guardian:{guardian.id}", setting_id=setting_id,
                 details={}, at=at, **actor.fields())
    return guardian


def restore_guardian(session: Session, guardian_id: int, *, setting_id: int, actor: Actor,
                     at: datetime | None = None) -> Guardian:
    """Show an archived guardian again, to be edited and linked as before (a guardian archived by
    mistake cannot be added anew: their email is taken). Raises UnknownGuardian or InvalidRecord."""
    guardian = get_guardian(session, guardian_id, setting_id=setting_id)
    return _unarchive(session, guardian, guardian.name, AuditTag.GUARDIAN_RESTORED, f"guardian:{guardian.id}",
                      setting_id=setting_id, actor=actor, at=at)


def update_channel(session: Session, ref: int | str, *, setting_id: int, name: str, description: str,
                   actor: Actor, at: datetime | None = None) -> list[str]:
    """Change a channel's name or description (never its short name or target); returns the fields changed.

    Raises UnknownChannel, Archived or InvalidRecord.
    """
    channel = get_channel(session, ref, setting_id=setting_id)
    if channel.archived_at is not None:
        raise Archived(f"the channel {channel.name} is archived")
    values = {"name": _name(name, "channel name"), "description": (description or "").strip()}
    if not values["description"]:
        raise InvalidRecord("the channel needs a plain-English description for parents")
    changed = [key for key, value in values.items() if getattr(channel, key) != value]
    if changed:
        for key in changed:
            setattr(channel, key, values[key])
        session.flush()
        audit.record(session, AuditTag.CHANNEL_UPDATED, subject=f"channel:{channel.id}", setting_id=setting_id,
                     details={"changed": changed, "name": channel.name}, at=at, **actor.fields())
    return changed


def archive_channel(session: Session, ref: int | str, *, setting_id: int, actor: Actor,
                    at: datetime | None = None) -> Channel:
    """Close a channel: the gate clears nothing for it from now on; the caller takes down what is there.

    Raises UnknownChannel or Archived.
    """
    at = utc(at or now())
    channel = get_channel(session, ref, setting_id=setting_id)
    if channel.archived_at is not None:
        raise Archived(f"the channel {channel.name} is already archived")
    channel.archived_at = at
    session.flush()
    audit.record(session, AuditTag.CHANNEL_ARCHIVED, subject=f"channel:{channel.id}", setting_id=setting_id,
                 details={"name": channel.name}, at=at, **actor.fields())
    return channel


def restore_channel(session: Session, ref: int | str, *, setting_id: int, actor: Actor,
                    at: datetime | None = None) -> Channel:
    """Open an archived channel again (its short name stays taken, so it cannot be added anew).

    Nothing comes back by itself: what was taken down stays down until approved again. Consent
    decisions recorded for it were never changed by the archive, so they apply again.
    Raises UnknownChannel or InvalidRecord (not archived).
    """
    channel = get_channel(session, ref, setting_id=setting_id)
    return _unarchive(session, channel, f"the channel {channel.name}", AuditTag.CHANNEL_RESTORED,
                      f"channel:{channel.id}", setting_id=setting_id, actor=actor, at=at,
                      details={"name": channel.name})

