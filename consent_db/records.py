"""Settings, people, guardians and channels: validated on the way in, audited, never half-written."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consent_db import audit
from consent_db.audit import Actor, AuditTag
from consent_db.models import Channel, Guardian, GuardianLink, Person, PersonKind, Setting
from consent_db.timeutil import now, utc
from consent_db.verdicts import FACE_MATCHING

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 100
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RecordsError(Exception):
    """Bad input to the records; the message is one sentence and nothing was changed."""


class UnknownRecord(RecordsError):
    """An id or name that matches nothing in this setting."""


class UnknownPerson(UnknownRecord):
    pass


class UnknownGuardian(UnknownRecord):
    pass


class UnknownChannel(UnknownRecord):
    pass


class NoSetting(UnknownRecord):
    pass


class InvalidRecord(RecordsError):
    """A value that cannot be stored as given (bad date, empty name, duplicate)."""


@dataclass(frozen=True)
class PersonFields:
    """A person's details, checked and normalised."""

    kind: PersonKind
    first_name: str
    surname: str
    born: date | None = None
    starts: date | None = None
    leaves: date | None = None
    room: str | None = None


def parse_date(value: str | date | None, what: str = "date") -> date | None:
    """A date from ISO YYYY-MM-DD text (blank means none); raises InvalidRecord."""
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        if DATE_RE.match(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidRecord(f"{what} {text!r} is not a date: use YYYY-MM-DD")


def _name(value: str | None, what: str, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidRecord(f"{what} must not be empty")
        return None
    if len(text) > NAME_MAX:
        raise InvalidRecord(f"{what} is longer than {NAME_MAX} characters")
    return text


def check_person(
    *, kind: str, first_name: str, surname: str, born=None, starts=None, leaves=None, room=None
) -> PersonFields:
    """Validate a person's details; raises InvalidRecord naming the first problem."""
    try:
        person_kind = PersonKind(str(kind).strip().lower())
    except ValueError:
        raise InvalidRecord(f"kind {kind!r} is not one of: child, staff") from None
    fields = PersonFields(
        kind=person_kind,
        first_name=_name(first_name, "first name"),
        surname=_name(surname, "surname"),
        born=parse_date(born, "date of birth"),
        starts=parse_date(starts, "start date"),
        leaves=parse_date(leaves, "leaving date"),
        room=_name(room, "room", required=False),
    )
    if fields.born and fields.born > now().date():
        raise InvalidRecord(f"date of birth {fields.born} is in the future")
    if fields.born and fields.starts and fields.starts < fields.born:
        raise InvalidRecord(f"start date {fields.starts} is before the date of birth {fields.born}")
    if fields.starts and fields.leaves and fields.leaves < fields.starts:
        raise InvalidRecord(f"leaving date {fields.leaves} is before the start date {fields.starts}")
    return fields


def check_name(value: str | None, what: str) -> str:
    """The name trimmed; raises InvalidRecord when empty or too long."""
    return _name(value, what)


def ensure_default_setting(session: Session, *, name: str, at: datetime | None = None) -> Setting:
    """The first setting, created (and audited) when there is none yet; raises audit.AuditChainError."""
    # Locked before looking, so two `init`s at once cannot both see no setting and both make one.
    audit.lock_chain(session)
    existing = session.scalars(select(Setting).order_by(Setting.id).limit(1)).first()
    if existing is not None:
        return existing
    setting = Setting(name=_name(name, "setting name"), created_at=utc(at or now()))
    session.add(setting)
    session.flush()
    audit.record(session, AuditTag.SETTING_CREATED, subject=f"setting:{setting.id}",
                 details={"name": setting.name}, setting_id=setting.id, at=at)
    return setting


def default_setting(session: Session) -> Setting:
    """The instance's first setting; raises NoSetting before `gatekeeper init`."""
    setting = session.scalars(select(Setting).order_by(Setting.id).limit(1)).first()
    if setting is None:
        raise NoSetting("there is no setting yet: run 'gatekeeper init'")
    return setting


def rename_setting(session: Session, setting_id: int, name: str, *, actor: Actor,
                   at: datetime | None = None) -> Setting:
    """Give the setting a new name (audited); raises InvalidRecord or NoSetting."""
    setting = session.get(Setting, setting_id)
    if setting is None:
        raise NoSetting(f"there is no setting {setting_id}")
    new = _name(name, "the setting's name")
    if new != setting.name:
        old, setting.name = setting.name, new
        session.flush()
        audit.record(session, AuditTag.SETTING_RENAMED, subject=f"setting:{setting.id}", setting_id=setting.id,
                     details={"from": old, "to": new}, at=at, **actor.fields())
    return setting


def add_person(
    session: Session, fields: PersonFields, *, setting_id: int, actor: Actor, at: datetime | None = None,
    source: str = "manual",
) -> Person:
    """Store a checked person and audit it."""
    person = Person(
        setting_id=setting_id, kind=fields.kind, first_name=fields.first_name, surname=fields.surname,
        date_of_birth=fields.born, start_date=fields.starts, leaving_date=fields.leaves, room=fields.room,
        created_at=utc(at or now()),
    )
    session.add(person)
    session.flush()
    # Names stay out of the audit details: the log outlives erasure requests.
    audit.record(session, AuditTag.PERSON_ADDED, subject=f"person:{person.id}", setting_id=setting_id,
                 details={"kind": person.kind.value, "source": source}, at=at, **actor.fields())
    return person


def get_person(session: Session, person_id: int, *, setting_id: int) -> Person:
    """The person with this id in this setting; raises UnknownPerson (a person of another setting is unknown)."""
    person = session.get(Person, person_id)
    if person is None or person.setting_id != setting_id:
        raise UnknownPerson(f"there is no person {person_id}")
    return person


def set_leaving_date(
    session: Session, person_id: int, leaves: date | str | None, *, setting_id: int, actor: Actor,
    at: datetime | None = None,
) -> Person:
    """Set (or clear, with None) a person's leaving date; consent ends on it. Raises RecordsError."""
    person = get_person(session, person_id, setting_id=setting_id)
    day = parse_date(leaves, "leaving date")
    if day and person.start_date and day < person.start_date:
        raise InvalidRecord(f"leaving date {day} is before the start date {person.start_date}")
    old, person.leaving_date = person.leaving_date, day
    session.flush()
    audit.record(session, AuditTag.PERSON_UPDATED, subject=f"person:{person.id}", setting_id=setting_id,
                 details={"leaving_date": {"from": old, "to": day}}, at=at, **actor.fields())
    return person


def list_people(session: Session, *, setting_id: int, kind: PersonKind | None = None,
                archived: bool | None = False) -> list[Person]:
    """The setting's people, ordered by id: current ones by default, archived ones (True), or all (None)."""
    query = select(Person).where(Person.setting_id == setting_id).order_by(Person.id)
    if kind is not None:
        query = query.where(Person.kind == PersonKind(kind))
    if archived is not None:
        query = query.where(Person.archived_at.is_not(None) if archived else Person.archived_at.is_(None))
    return list(session.scalars(query))


def find_same_person(session: Session, setting_id: int, fields: PersonFields) -> Person | None:
    """An existing person with the same kind, names and date of birth (case-insensitive)."""
    query = select(Person).where(
        Person.setting_id == setting_id,
        Person.kind == fields.kind,
        func.lower(Person.first_name) == fields.first_name.lower(),
        func.lower(Person.surname) == fields.surname.lower(),
        Person.date_of_birth.is_(None) if fields.born is None else Person.date_of_birth == fields.born,
    )
    return session.scalars(query.limit(1)).first()


def add_guardian(
    session: Session, *, setting_id: int, name: str, email: str, child_id: int,
    parental_responsibility: bool = True, phone: str | None = None, actor: Actor, at: datetime | None = None,
) -> Guardian:
    """Link a guardian (new, or found by email in this setting) to a child; raises RecordsError."""
    child = get_person(session, child_id, setting_id=setting_id)
    if child.kind is not PersonKind.CHILD:
        raise InvalidRecord(f"person {child_id} is staff, not a child: staff have no guardians")
    clean_name = _name(name, "guardian name")
    clean_email = (email or "").strip().lower()
    if not EMAIL_RE.match(clean_email) or len(clean_email) > 320:
        raise InvalidRecord(f"{email!r} is not an email address")
    at = utc(at or now())
    guardian = session.scalars(
        select(Guardian).where(Guardian.setting_id == setting_id, Guardian.email == clean_email)
    ).first()
    if guardian is None:
        guardian = Guardian(setting_id=setting_id, name=clean_name, email=clean_email,
                            phone=(phone or "").strip() or None, created_at=at)
        session.add(guardian)
        session.flush()
        audit.record(session, AuditTag.GUARDIAN_ADDED, subject=f"guardian:{guardian.id}",
                     setting_id=setting_id, details={}, at=at, **actor.fields())
    elif session.get(GuardianLink, (guardian.id, child_id)) is not None:
        raise InvalidRecord(f"guardian {guardian.id} ({clean_email}) is already linked to child {child_id}")
    session.add(GuardianLink(guardian_id=guardian.id, child_id=child_id,
                             parental_responsibility=parental_responsibility, created_at=at))
    session.flush()
    audit.record(session, AuditTag.GUARDIAN_LINKED, subject=f"person:{child_id}", setting_id=setting_id,
                 details={"guardian_id": guardian.id, "parental_responsibility": parental_responsibility},
                 at=at, **actor.fields())
    return guardian


def get_guardian(session: Session, guardian_id: int, *, setting_id: int) -> Guardian:
    """The guardian with this id in this setting; raises UnknownGuardian."""
    guardian = session.get(Guardian, guardian_id)
    if guardian is None or guardian.setting_id != setting_id:
        raise UnknownGuardian(f"there is no guardian {guardian_id}")
    return guardian


def guardian_links(session: Session, child_id: int) -> list[GuardianLink]:
    """A child's guardian links, ordered by guardian id."""
    query = select(GuardianLink).where(GuardianLink.child_id == child_id).order_by(GuardianLink.guardian_id)
    return list(session.scalars(query))


def add_channel(
    session: Session, *, setting_id: int, slug: str, name: str, description: str,
    target: dict | None = None, actor: Actor, at: datetime | None = None,
) -> Channel:
    """Add an official channel; raises InvalidRecord for a bad or taken short name (slug) or empty text."""
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug) or len(slug) > 64:
        raise InvalidRecord(f"the short name {slug!r} must be lower-case letters, digits and single hyphens, "
                            "for example 'website'")
    if slug == FACE_MATCHING:
        raise InvalidRecord(f"the short name {FACE_MATCHING!r} is reserved for face-matching consent")
    if not (description or "").strip():
        raise InvalidRecord("the channel needs a plain-English description for parents")
    taken = session.scalars(select(Channel).where(Channel.setting_id == setting_id, Channel.slug == slug)).first()
    if taken is not None:
        raise InvalidRecord(f"the short name {slug!r} already exists: it belongs to the channel “{taken.name}”")
    channel = Channel(setting_id=setting_id, slug=slug, name=_name(name, "channel name"),
                      description=description.strip(), target=target, created_at=utc(at or now()))
    session.add(channel)
    session.flush()
    audit.record(session, AuditTag.CHANNEL_ADDED, subject=f"channel:{channel.id}", setting_id=setting_id,
                 details={"slug": slug, "name": channel.name}, at=at, **actor.fields())
    return channel


RENDITION_SIDE_RANGE = (320, 4096)


def set_channel_target(session: Session, channel: Channel, target: dict | None, *, shown: dict,
                       actor: Actor, at: datetime | None = None) -> Channel:
    """Store a target the caller has already validated; the audit keeps `shown` (secrets hidden), never target."""
    channel.target = dict(target) if target else None
    session.flush()
    audit.record(session, AuditTag.CHANNEL_UPDATED, subject=f"channel:{channel.id}", setting_id=channel.setting_id,
                 details={"slug": channel.slug, "target": shown}, at=at, **actor.fields())
    return channel


def set_rendition_side(session: Session, channel: Channel, side: int | None, *, actor: Actor,
                       at: datetime | None = None) -> Channel:
    """Set the longest side this channel receives (None: the default); raises InvalidRecord out of range."""
    low, high = RENDITION_SIDE_RANGE
    if side is not None and (isinstance(side, bool) or not isinstance(side, int) or not low <= side <= high):
        raise InvalidRecord(f"the picture size must be a whole number of pixels from {low} to {high}")
    old, channel.rendition_side = channel.rendition_side, side
    session.flush()
    audit.record(session, AuditTag.CHANNEL_UPDATED, subject=f"channel:{channel.id}", setting_id=channel.setting_id,
                 details={"slug": channel.slug, "rendition_side": {"from": old, "to": side}}, at=at, **actor.fields())
    return channel


def get_channel(session: Session, ref: int | str, *, setting_id: int) -> Channel:
    """A channel of this setting by id or slug; raises UnknownChannel."""
    query = select(Channel).where(Channel.setting_id == setting_id)
    if isinstance(ref, int) or str(ref).isdigit():
        query = query.where(Channel.id == int(ref))
    else:
        query = query.where(Channel.slug == str(ref))
    channel = session.scalars(query).first()
    if channel is None:
        raise UnknownChannel(f"there is no channel {ref!r}")
    return channel


def list_channels(session: Session, *, setting_id: int, archived: bool | None = False) -> list[Channel]:
    """The setting's channels, ordered by id: current ones by default (an archived channel gets nothing),
    archived ones (True), or all (None)."""
    query = select(Channel).where(Channel.setting_id == setting_id).order_by(Channel.id)
    if archived is not None:
        query = query.where(Channel.archived_at.is_not(None) if archived else Channel.archived_at.is_(None))
    return list(session.scalars(query))
