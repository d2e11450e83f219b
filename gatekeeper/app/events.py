"""Domain events: small facts a service records; each becomes one outbox row in the same transaction.

Every change that can end consent is one of these, so the worker takes media down and purges
templates whatever door the change came through. `kind` is the outbox row's kind.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

from gatekeeper.notify.events import ItemPublished, ItemTakenDown, ItemWaiting


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str]
    setting_id: int

    def payload(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ConsentChanged(Event):
    """A grant, withdrawal, refusal or objection was recorded for one purpose."""

    kind: ClassVar[str] = "consent_changed"
    person_id: int
    purpose: int | str
    allowed: bool
    ended: bool


@dataclass(frozen=True)
class LeavingDateSet(Event):
    """A person's leaving date was set, moved or cleared (ISO date or None)."""

    kind: ClassVar[str] = "leaving_date_set"
    person_id: int
    leaves: str | None


@dataclass(frozen=True)
class GuardianLinked(Event):
    """A guardian was linked to a child, with or without parental responsibility."""

    kind: ClassVar[str] = "guardian_linked"
    person_id: int
    guardian_id: int
    parental_responsibility: bool


@dataclass(frozen=True)
class PeopleImported(Event):
    """A class list was imported."""

    kind: ClassVar[str] = "people_imported"
    person_ids: tuple[int, ...]


@dataclass(frozen=True)
class ConsentLapses(Event):
    """Scheduled for the moment a time limit ends someone's consent: an expiry or a leaving date."""

    kind: ClassVar[str] = "consent_lapses"
    person_id: int
    cause: str  # "expiry" or "leaving"


@dataclass(frozen=True)
class PersonArchived(Event):
    """A person was archived (their leaving date, where it was later or unset, became the day of archiving)."""

    kind: ClassVar[str] = "person_archived"
    person_id: int


@dataclass(frozen=True)
class ResponsibilityChanged(Event):
    """A guardian's parental responsibility for a child was given or taken away."""

    kind: ClassVar[str] = "responsibility_changed"
    person_id: int
    guardian_id: int
    parental_responsibility: bool


@dataclass(frozen=True)
class ChannelArchived(Event):
    """A channel was archived: everything published there is taken down."""

    kind: ClassVar[str] = "channel_archived"
    channel_id: int


@dataclass(frozen=True)
class ConsentWithdrawn(Event):
    """Consent that was in force for a person and purpose ended by a decision: the Manager is told."""

    kind: ClassVar[str] = "consent_withdrawn"
    person_id: int
    purpose: int | str
    decision_id: int


EVENT_KINDS: dict[str, type[Event]] = {
    cls.kind: cls for cls in (ConsentChanged, LeavingDateSet, GuardianLinked, PeopleImported, ConsentLapses,
                              PersonArchived, ResponsibilityChanged, ChannelArchived, ConsentWithdrawn, ItemWaiting,
                              ItemPublished, ItemTakenDown)
}
"""Every outbox kind; the gate writes the Item* ones itself (gatekeeper.notify.events)."""
