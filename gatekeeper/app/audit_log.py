"""Reading and checking the audit log, as a principal of one setting."""
from __future__ import annotations

from consent_db import audit
from consent_db.audit import AuditTag, ChainReport
from consent_db.models import AuditEvent
from gatekeeper.app import policy
from gatekeeper.app.policy import Action
from gatekeeper.app.principal import Principal
from gatekeeper.app.uow import UnitOfWork


def events(uow: UnitOfWork, principal: Principal, *, limit: int, tag_prefix: str | None = None,
           subject: str | None = None) -> list[dict]:
    """The setting's events (and those of no setting), newest first, as plain data; raises PolicyError."""
    policy.require(principal, Action.AUDIT_READ)
    with uow:
        rows: list[AuditEvent] = audit.list_events(uow.session, tag_prefix=tag_prefix, subject=subject,
                                                   of_setting=principal.setting_id, limit=limit)
        return [audit.event_as_dict(e) for e in rows]


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
