"""Who is told what. A parent's message names only children linked to that parent's own guardian
record; the Manager's name people because the Manager sees everyone anyway."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from consent_db.models import (Account, Approval, Channel, GuardianLink, MediaItem, Person, PersonKind,
                               Publication, Role)
from consent_db.verdicts import FACE_MATCHING


@dataclass(frozen=True)
class Draft:
    """One message for one account, before it is stored; source_key names the fact it is about."""

    account_id: int
    kind: str
    source_key: str
    subject: str
    body: str
    link: str | None


def managers(session: Session, setting_id: int) -> list[Account]:
    """The setting's Managers whose accounts are in use."""
    return list(session.scalars(select(Account).where(
        Account.setting_id == setting_id, Account.role == Role.MANAGER, Account.disabled.is_(False)
    ).order_by(Account.id)))


def _what(item: MediaItem) -> str:
    return "video" if item.kind.value == "video" else "photo"


def item_waiting(session: Session, setting_id: int, public_id: str) -> list[Draft]:
    """Every Manager: a new upload is ready to approve or held for a decision."""
    item = session.scalars(select(MediaItem).where(MediaItem.public_id == public_id,
                                                   MediaItem.setting_id == setting_id)).one_or_none()
    if item is None:
        return []
    state = "is ready for you to approve" if item.state.value == "ready" else "needs your decision before it can be published"
    subject = f"A new {_what(item)} is waiting"
    body = f"A {_what(item)} uploaded by staff {state}."
    return [Draft(m.id, "item_waiting", f"waiting:{public_id}", subject, body, f"/manager/queue/{public_id}")
            for m in managers(session, setting_id)]


def _purpose_name(session: Session, setting_id: int, purpose: int | str) -> str:
    if purpose == FACE_MATCHING:
        return "face matching"
    channel = session.get(Channel, int(purpose))
    return channel.name if channel is not None and channel.setting_id == setting_id else "a channel"


def consent_withdrawn(session: Session, setting_id: int, person_id: int, purpose: int | str,
                      decision_key: str) -> list[Draft]:
    """Every Manager: consent in force for someone ended (withdrawn, refused, or an objection)."""
    person = session.get(Person, person_id)
    if person is None or person.setting_id != setting_id:
        return []
    where = _purpose_name(session, setting_id, purpose)
    subject = f"Consent withdrawn: {person.first_name} {person.surname}, {where}"
    body = (f"Consent for {where} is no longer in force for {person.first_name} {person.surname}. "
            "Anything published there that shows them is being taken down.")
    return [Draft(m.id, "consent_withdrawn", decision_key, subject, body, f"/manager/people/{person_id}")
            for m in managers(session, setting_id)]


def _publication(session: Session, setting_id: int, publication_id: int):
    publication = session.get(Publication, publication_id)
    if publication is None:
        return None, None, None
    item = session.get(MediaItem, publication.item_id)
    if item is None or item.setting_id != setting_id:
        return None, None, None
    return publication, item, session.get(Channel, publication.channel_id)


def item_taken_down(session: Session, setting_id: int, publication_id: int) -> list[Draft]:
    """Every Manager: a published copy was removed from a channel, and why."""
    publication, item, channel = _publication(session, setting_id, publication_id)
    if publication is None:
        return []
    subject = f"A {_what(item)} was taken down from {channel.name}"
    body = f"A {_what(item)} was taken down from {channel.name}: {publication.end_reason or 'no reason recorded'}."
    return [Draft(m.id, "item_taken_down", f"taken-down:{publication_id}", subject, body,
                  f"/manager/queue/{item.public_id}") for m in managers(session, setting_id)]


def children_in_publication(session: Session, item: MediaItem, publication: Publication) -> set[int]:
    """The children shown in exactly the rendition the channel got (faces there, or the whole-picture list)."""
    approval = session.get(Approval, publication.approval_id)
    faces = [f for f in item.faces if not f.not_a_person
             and (approval is None or approval.rendition_id is None or f.rendition_id == approval.rendition_id)]
    shown = {f.manager_person_id or f.engine_person_id for f in faces}
    shown.update(item.whole_picture_people or ())
    shown.discard(None)
    if not shown:
        return set()
    return set(session.scalars(select(Person.id).where(Person.id.in_(shown), Person.kind == PersonKind.CHILD,
                                                       Person.setting_id == item.setting_id)))


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def item_published(session: Session, setting_id: int, publication_id: int) -> list[Draft]:
    """Each parent account of a child in the published copy: one message naming only their own children."""
    publication, item, channel = _publication(session, setting_id, publication_id)
    if publication is None:
        return []
    children = children_in_publication(session, item, publication)
    if not children:
        return []
    own: dict[int, list[Person]] = defaultdict(list)
    rows = session.execute(
        select(Account, Person).join(GuardianLink, GuardianLink.guardian_id == Account.guardian_id)
        .join(Person, Person.id == GuardianLink.child_id)
        .where(GuardianLink.child_id.in_(children), Account.role == Role.PARENT, Account.disabled.is_(False),
               Account.setting_id == setting_id)
        .order_by(Account.id, Person.first_name, Person.id))
    accounts: dict[int, Account] = {}
    for account, child in rows:
        accounts[account.id] = account
        own[account.id].append(child)
    drafts = []
    for account_id, kids in own.items():
        names = _join([k.first_name for k in kids])
        subject = f"A {_what(item)} of {names} was published on {channel.name}"
        body = (f"A {_what(item)} of {names} was published on {channel.name}. You can see it, and withdraw "
                f"consent for {channel.name} at any time; it is then taken down.")
        drafts.append(Draft(account_id, "item_published", f"published:{publication_id}", subject, body,
                            f"/family/photos/{publication_id}"))
    return drafts
