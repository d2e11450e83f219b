"""People, guardians and the class-list import, as the Manager (or the operator) changes them.

Each service takes a unit of work and a principal, checks the policy, acts only inside the
principal's setting, and records the event that lets the worker act on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from consent_db import account_admin, editing, importing, records
from consent_db.models import Channel, Guardian, GuardianLink, Person, PersonKind
from consent_db.timeutil import start_of
from gatekeeper.app import policy
from consent_db.ukdates import parse_uk_date
from gatekeeper.app.events import (ConsentLapses, GuardianLinked, LeavingDateSet, PeopleImported, PersonArchived,
                                   ResponsibilityChanged)
from gatekeeper.app.guardian_link import link_guardian
from gatekeeper.app.people_view import PersonPage, person_page
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork


def leaving_key(person_id: int) -> str:
    """The outbox schedule of a person's leaving date."""
    return f"leaving:person:{person_id}"


def schedule_leaving(uow: UnitOfWork, setting_id: int, person_id: int, leaves: date | None) -> None:
    """Due at the first moment the leaving date ends consent; replaces (or, cleared, cancels) the old one."""
    if leaves is None:
        uow.cancel(leaving_key(person_id))
        return
    uow.emit(ConsentLapses(setting_id, person_id, "leaving"), due_at=max(start_of(leaves), uow.at),
             key=leaving_key(person_id))


def list_people(uow: UnitOfWork, principal: Principal, *, kind: PersonKind | str | None,
                archived: bool | None = False) -> list[Person]:
    """The principal's setting's people (of one kind, when given): current, archived (True) or all (None)."""
    policy.require(principal, Action.PEOPLE_READ)
    with uow:
        return records.list_people(uow.session, setting_id=principal.setting_id,
                                   kind=PersonKind(kind) if kind else None, archived=archived)


def add_person(uow: UnitOfWork, principal: Principal, *, kind: str, first_name: str, surname: str,
               born=None, starts=None, leaves=None, room=None, source: str) -> Person:
    """Check and store a person; raises RecordsError (nothing stored) or PolicyError."""
    policy.require(principal, Action.PEOPLE_WRITE)
    fields = records.check_person(kind=kind, first_name=first_name, surname=surname, born=born, starts=starts,
                                  leaves=leaves, room=room)
    with uow:
        person = records.add_person(uow.session, fields, setting_id=principal.setting_id, actor=principal.actor,
                                    at=uow.at, source=source)
        if person.leaving_date is not None:
            schedule_leaving(uow, principal.setting_id, person.id, person.leaving_date)
    return person


def preview_import(uow: UnitOfWork, principal: Principal, text: str) -> importing.ImportPlan:
    """What importing the class list would do (new, changed, unchanged, possible duplicates); changes
    nothing. Raises CsvImportError (with every problem) or PolicyError."""
    policy.require(principal, Action.PEOPLE_WRITE)
    with uow:
        return importing.plan_import(uow.session, text, setting_id=principal.setting_id)


def import_people(uow: UnitOfWork, principal: Principal, text: str, *,
                  expected: str | None = None) -> importing.ImportResult:
    """Apply the whole class list in one transaction, or nothing.

    `expected` is the fingerprint of the preview the Manager confirmed. Raises CsvImportError (PlanChanged
    when the records moved on since that preview), RecordsError or PolicyError.
    """
    policy.require(principal, Action.PEOPLE_WRITE)
    with uow:
        result = importing.apply_import(uow.session, text, setting_id=principal.setting_id, actor=principal.actor,
                                        at=uow.at, expected=expected)
        touched = tuple(p.id for p in result.added + result.changed)
        if touched:
            uow.emit(PeopleImported(principal.setting_id, touched))
        for person in result.leaving_changed:
            schedule_leaving(uow, principal.setting_id, person.id, person.leaving_date)
    return result


def update_person(uow: UnitOfWork, principal: Principal, person_id: int, *, first_name: str, surname: str,
                  born=None, starts=None, leaves=None, room=None) -> editing.PersonChange:
    """Change a person's details (blank dates and room are cleared); a moved leaving date is rescheduled.

    Raises RecordsError (UnknownPerson, Archived, InvalidRecord; nothing stored) or PolicyError.
    """
    policy.require(principal, Action.PEOPLE_WRITE)
    with uow:
        person = records.get_person(uow.session, person_id, setting_id=principal.setting_id)
        fields = records.check_person(kind=person.kind.value, first_name=first_name, surname=surname,
                                      born=parse_uk_date(born, "date of birth"),
                                      starts=parse_uk_date(starts, "start date"),
                                      leaves=parse_uk_date(leaves, "leaving date"), room=room)
        change = editing.update_person(uow.session, person_id, fields, setting_id=principal.setting_id,
                                       actor=principal.actor, at=uow.at)
        if change.leaving_changed:
            day = change.person.leaving_date
            uow.emit(LeavingDateSet(principal.setting_id, person_id, day.isoformat() if day else None))
            schedule_leaving(uow, principal.setting_id, person_id, day)
    return change


def archive_person(uow: UnitOfWork, principal: Principal, person_id: int) -> editing.PersonChange:
    """Archive a person (hidden, never deleted); consent ends per the setting's leaving rule and the
    worker takes down what no longer holds. Raises RecordsError or PolicyError."""
    policy.require(principal, Action.PEOPLE_WRITE)
    with uow:
        change = editing.archive_person(uow.session, person_id, setting_id=principal.setting_id,
                                        actor=principal.actor, at=uow.at)
        # Archiving is for someone who has left: their staff account must not keep signing in on the
        # setting's tablets. Restoring the person does not enable it again; the Manager does, on Accounts.
        account_admin.disable_staff_of(uow.session, person_id, setting_id=principal.setting_id,
                                       actor=principal.actor, at=uow.at)
        uow.emit(PersonArchived(principal.setting_id, person_id))
        if change.leaving_changed:
            schedule_leaving(uow, principal.setting_id, person_id, change.person.leaving_date)
    return change


def restore_person(uow: UnitOfWork, principal: Principal, person_id: int) -> Person:
    """Show an archived person again (their leaving date stays); raises RecordsError or PolicyError."""
    policy.require(principal, Action.PEOPLE_WRITE)
    with uow:
        return editing.restore_person(uow.session, person_id, setting_id=principal.setting_id,
                                      actor=principal.actor, at=uow.at)


def update_guardian(uow: UnitOfWork, principal: Principal, guardian_id: int, *, name: str, email: str,
                    phone: str | None, child_id: int | None = None,
                    parental_responsibility: bool | None = None) -> list[str]:
    """Change a guardian's name, email or phone and, given a child, their parental responsibility for
    that child, in one transaction; returns what changed. Raises RecordsError or PolicyError."""
    policy.require(principal, Action.GUARDIANS_WRITE)
    with uow:
        changed = editing.update_guardian(uow.session, guardian_id, setting_id=principal.setting_id, name=name,
                                          email=email, phone=phone, actor=principal.actor, at=uow.at)
        if child_id is not None and parental_responsibility is not None:
            if editing.set_parental_responsibility(uow.session, guardian_id, child_id, parental_responsibility,
                                                   setting_id=principal.setting_id, actor=principal.actor,
                                                   at=uow.at):
                uow.emit(ResponsibilityChanged(principal.setting_id, child_id, guardian_id,
                                               parental_responsibility))
                changed.append("parental_responsibility")
    return changed


def set_parental_responsibility(uow: UnitOfWork, principal: Principal, guardian_id: int, child_id: int,
                                holds: bool) -> bool:
    """Give or take away a guardian's say in a child's consent; the worker re-checks the child's media.

    Returns whether it changed. Raises RecordsError or PolicyError.
    """
    policy.require(principal, Action.GUARDIANS_WRITE)
    with uow:
        changed = editing.set_parental_responsibility(uow.session, guardian_id, child_id, holds,
                                                      setting_id=principal.setting_id, actor=principal.actor,
                                                      at=uow.at)
        if changed:
            uow.emit(ResponsibilityChanged(principal.setting_id, child_id, guardian_id, holds))
    return changed


def archive_guardian(uow: UnitOfWork, principal: Principal, guardian_id: int) -> Guardian:
    """Archive a guardian (hidden; their say in consent stays until their parental responsibility is
    taken away). Raises RecordsError or PolicyError."""
    policy.require(principal, Action.GUARDIANS_WRITE)
    with uow:
        return editing.archive_guardian(uow.session, guardian_id, setting_id=principal.setting_id,
                                        actor=principal.actor, at=uow.at)


def restore_guardian(uow: UnitOfWork, principal: Principal, guardian_id: int) -> Guardian:
    """Show an archived guardian again; raises RecordsError or PolicyError."""
    policy.require(principal, Action.GUARDIANS_WRITE)
    with uow:
        return editing.restore_guardian(uow.session, guardian_id, setting_id=principal.setting_id,
                                        actor=principal.actor, at=uow.at)


def set_leaving_date(uow: UnitOfWork, principal: Principal, person_id: int, leaves: date | str | None) -> Person:
    """Set, move or clear a leaving date; consent ends on it and the takedown is scheduled for that moment."""
    policy.require(principal, Action.PEOPLE_WRITE)
    with uow:
        person = records.set_leaving_date(uow.session, person_id, leaves, setting_id=principal.setting_id,
                                          actor=principal.actor, at=uow.at)
        day = person.leaving_date
        uow.emit(LeavingDateSet(principal.setting_id, person.id, day.isoformat() if day else None))
        schedule_leaving(uow, principal.setting_id, person.id, day)
    return person


@dataclass(frozen=True)
class GuardianLine:
    guardian: Guardian
    link: GuardianLink


def add_guardian(uow: UnitOfWork, principal: Principal, *, child_id: int, name: str, email: str,
                 phone: str | None = None, parental_responsibility: bool,
                 confirmed_guardian_id: int | None = None) -> Guardian:
    """Link a guardian (new, or found by email) to a child of the setting.

    Raises NeedsConfirmation (another family's guardian has that email, unless confirmed_guardian_id
    names them), RecordsError or PolicyError.
    """
    policy.require(principal, Action.GUARDIANS_WRITE)
    with uow:
        guardian = link_guardian(uow.session, setting_id=principal.setting_id, name=name, email=email,
                                 child_id=child_id, phone=phone, parental_responsibility=parental_responsibility,
                                 actor=principal.actor, confirmed_guardian_id=confirmed_guardian_id, at=uow.at)
        uow.emit(GuardianLinked(principal.setting_id, child_id, guardian.id, parental_responsibility))
    return guardian


def guardians_of(uow: UnitOfWork, principal: Principal, child_id: int) -> list[GuardianLine]:
    """A child's guardians; raises UnknownPerson for a child of another setting."""
    policy.require(principal, Action.GUARDIANS_READ)
    with uow:
        records.get_person(uow.session, child_id, setting_id=principal.setting_id)
        return [GuardianLine(link.guardian, link) for link in records.guardian_links(uow.session, child_id)]


@dataclass(frozen=True)
class PersonDetails:
    page: PersonPage
    channels: list[Channel]


def person_details(uow: UnitOfWork, principal: Principal, person_id: int) -> PersonDetails:
    """Everything the Manager's page for one person shows; raises UnknownPerson."""
    policy.require(principal, Action.PEOPLE_READ)
    with uow:
        page = person_page(uow.session, person_id, setting_id=principal.setting_id, at=uow.at)
        return PersonDetails(page, records.list_channels(uow.session, setting_id=principal.setting_id))
