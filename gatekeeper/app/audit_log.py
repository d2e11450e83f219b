"""Reading and checking the audit log, as a principal of one setting."""
from __future__ import annotations

from dataclasses import dataclass

from consent_db import audit, records
from consent_db.audit import AuditTag, ChainReport
from consent_db.models import AuditEvent
from gatekeeper.app import audit_words, policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork
from gatekeeper.gate.paging import PageNumbers


def events(uow: UnitOfWork, principal: Principal, *, limit: int, tag_prefix: str | None = None,
           subject: str | None = None) -> list[dict]:
    """The setting's events (and those of no setting), newest first, as plain data; raises PolicyError."""
    policy.require(principal, Action.AUDIT_READ)
    with uow:
        rows: list[AuditEvent] = audit.list_events(uow.session, tag_prefix=tag_prefix, subject=subject,
                                                   of_setting=principal.setting_id, limit=limit)
        return [audit.event_as_dict(e) for e in rows]


MAX_PER_PAGE = 500


@dataclass(frozen=True)
class AuditFilter:
    """Which events: one kind (a tag family such as "consent", or a whole tag), about one person, about
    one item (its public id), or with one raw subject."""

    kind: str | None = None
    person_id: int | None = None
    item: str | None = None
    subject: str | None = None

    def subject_clause(self) -> str | None:
        """The one subject the filter selects; raises ValueError when it names two."""
        chosen = [s for s in (self.person_id and f"person:{self.person_id}", self.item and f"media:{self.item}",
                              self.subject) if s]
        if len(chosen) > 1:
            raise ValueError("filter by a person, an item or a subject, one at a time")
        return chosen[0] if chosen else None

    def tag_prefix(self) -> str | None:
        if not self.kind:
            return None
        return self.kind if ":" in self.kind else f"{self.kind}:"


@dataclass(frozen=True)
class ReadableEvent:
    id: int
    at: str  # ISO, UTC
    tag: str
    kind: str  # the tag family in words
    who: str
    about: str
    sentence: str
    raw: dict  # every stored field, for the disclosure and the CSV


@dataclass(frozen=True)
class AuditPage(PageNumbers):
    events: list[ReadableEvent]
    page: int
    per_page: int
    total: int


def readable(uow: UnitOfWork, principal: Principal, where: AuditFilter = AuditFilter(), *, page: int = 1,
             per_page: int = 50) -> AuditPage:
    """One page of the setting's events, newest first, with names and a plain sentence each.

    Raises PolicyError, UnknownPerson (a person of another setting), or ValueError (bad page or filter).
    """
    policy.require(principal, Action.AUDIT_READ)
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"pages are numbered from 1 and hold 1 to {MAX_PER_PAGE} events")
    subject, prefix = where.subject_clause(), where.tag_prefix()
    with uow:
        if where.person_id is not None:
            records.get_person(uow.session, where.person_id, setting_id=principal.setting_id)
        selection = {"tag_prefix": prefix, "subject": subject, "of_setting": principal.setting_id}
        total = audit.count_events(uow.session, **selection)
        rows = [audit.event_as_dict(e) for e in audit.list_events(uow.session, limit=per_page,
                                                                   offset=(page - 1) * per_page, **selection)]
        names = audit_words.load_names(uow.session, principal.setting_id, rows)
        events = [ReadableEvent(row["id"], row["at"], row["tag"],
                                audit_words.KINDS.get(row["tag"].split(":")[0], row["tag"].split(":")[0]),
                                audit_words.who(row, names), audit_words.about(row, names),
                                audit_words.sentence(row, names), row) for row in rows]
    return AuditPage(events, page, per_page, total)


def verify(uow: UnitOfWork, principal: Principal) -> ChainReport:
    """Check the whole hash chain and record that it was checked (with the head, to anchor outside copies)."""
    policy.require(principal, Action.AUDIT_READ)
    with uow:
        report = audit.verify_chain(uow.session)
        audit.record(uow.session, AuditTag.AUDIT_VERIFIED, setting_id=principal.setting_id,
                     subject=f"setting:{principal.setting_id}",
                     details={"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id,
                              "problem": report.problem}, at=uow.at, **principal.actor.fields())
        return report
