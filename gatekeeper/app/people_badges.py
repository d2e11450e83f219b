"""Consent in force per channel for a list of people, for badges on the People list and in the face picker."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consent_db import records
from consent_db.consent import consent_in_force
from consent_db.models import Person, PersonKind
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork


@dataclass(frozen=True)
class Badge:
    channel_id: int
    channel_name: str
    allowed: bool
    detail: str


@dataclass(frozen=True)
class PersonRow:
    person: Person
    badges: tuple[Badge, ...]

    @property
    def missing(self) -> list[str]:
        """The channels this person has no consent for now."""
        return [badge.channel_name for badge in self.badges if not badge.allowed]


def with_badges(session: Session, setting_id: int, people: list[Person], at: datetime) -> list[PersonRow]:
    """Each person with a badge per current channel: two queries per channel, whatever the number of people."""
    channels = records.list_channels(session, setting_id=setting_id)
    ids = [person.id for person in people]
    verdicts = {channel.id: consent_in_force(session, ids, channel.id, at) if ids else {} for channel in channels}
    return [PersonRow(person, tuple(Badge(c.id, c.name, verdicts[c.id][person.id].allowed,
                                          verdicts[c.id][person.id].detail) for c in channels))
            for person in people]


def people_with_badges(uow: UnitOfWork, principal: Principal, *, kind: PersonKind | str | None,
                       archived: bool | None = False) -> list[PersonRow]:
    """The People list: the setting's people with their consent per channel now; raises PolicyError."""
    policy.require(principal, Action.PEOPLE_READ)
    with uow:
        people = records.list_people(uow.session, setting_id=principal.setting_id,
                                     kind=PersonKind(kind) if kind else None, archived=archived)
        return with_badges(uow.session, principal.setting_id, people, uow.at)


def face_picker(uow: UnitOfWork, principal: Principal) -> list[PersonRow]:
    """Who a face can be said to be (current people), each saying which channels they lack consent for."""
    policy.require(principal, Action.QUEUE_READ)
    with uow:
        people = records.list_people(uow.session, setting_id=principal.setting_id)
        return with_badges(uow.session, principal.setting_id, people, uow.at)
