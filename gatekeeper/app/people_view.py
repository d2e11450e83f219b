"""Everything the Manager's page for one person shows, gathered in one read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db import records, templates
from consent_db.consent import PurposeVerdict, history, person_consent
from consent_db.models import Account, ConsentDecision, Guardian, GuardianLink, Person, PersonKind
from consent_db.verdicts import FACE_MATCHING


@dataclass(frozen=True)
class HistoryLine:
    decision: ConsentDecision
    purpose: str
    guardian: str | None


@dataclass(frozen=True)
class PersonPage:
    person: Person
    guardians: list[tuple[Guardian, GuardianLink]]
    consent: list[PurposeVerdict]
    channel_names: dict[int | str, str]
    history: list[HistoryLine]
    template_count: int
    face_matching_allowed: bool
    account: Account | None

    @property
    def is_child(self) -> bool:
        return self.person.kind is PersonKind.CHILD


def person_page(session: Session, person_id: int, *, setting_id: int, at: datetime) -> PersonPage:
    """The page's data; raises records.UnknownPerson."""
    person = records.get_person(session, person_id, setting_id=setting_id)
    guardians = [(session.get(Guardian, link.guardian_id), link) for link in records.guardian_links(session, person_id)]
    channels: dict[int | str, str] = {c.id: c.name for c in records.list_channels(session, setting_id=setting_id)}
    channels[FACE_MATCHING] = "Face matching"
    names = {guardian.id: guardian.name for guardian, _ in guardians}
    lines = [
        HistoryLine(row, channels[FACE_MATCHING] if row.face_matching else channels.get(row.channel_id, "?"),
                    names.get(row.guardian_id))
        for row in reversed(history(session, person_id, setting_id=setting_id))
    ]
    consent = person_consent(session, person_id, setting_id=setting_id, at=at)
    account = session.scalars(select(Account).where(Account.person_id == person_id)).first()
    return PersonPage(
        person=person, guardians=guardians, consent=consent, channel_names=channels, history=lines,
        template_count=templates.count_templates(session, person_id),
        face_matching_allowed=next(line.verdict.allowed for line in consent if line.purpose == FACE_MATCHING),
        account=account,
    )
