"""Operator commands for the audit log: verify the hash chain, list events."""
from __future__ import annotations

import sys
from datetime import datetime

import click

from consent_db.timeutil import date_time
from gatekeeper.app import audit_log as audit_service
from gatekeeper.app.audit_log import MAX_PER_PAGE, AuditFilter
from gatekeeper.cli.common import CommandError, emit, instance_option, json_option
from gatekeeper.cli.records import operator_for


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log."""


@audit.command("verify")
@instance_option
@json_option
def audit_verify(instance, as_json) -> None:
    """Check every row of the chain; exit 1 and name the first bad row if it was tampered with."""
    with operator_for(instance, None) as op:
        report = audit_service.verify(op.uow(), op.principal)
    data = {"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id, "problem": report.problem}
    emit(data, as_json, lambda d: f"audit chain intact: {d['checked']} events checked" if d["ok"]
         else f"audit chain BROKEN at row {d['first_bad_id']}: {d['problem']}")
    if not report.ok:
        sys.exit(1)


@audit.command("list")
@instance_option
@click.option("--tag", "kind", help="Only one kind: a family such as consent or media, or a whole tag such as "
              "device:revoked.")
@click.option("--person", "person_id", type=int, help="Only events about this person (id).")
@click.option("--item", help="Only events about this item (its public id).")
@click.option("--subject", help="Only events about this raw subject, e.g. guardian:3.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--limit", "per_page", type=click.IntRange(1, MAX_PER_PAGE), default=50, show_default=True,
              help="Events per page.")
@json_option
def audit_list(instance, kind, person_id, item, subject, page, per_page, as_json) -> None:
    """The newest events first, one plain sentence each, page by page."""
    where = AuditFilter(kind=(kind or "").rstrip(":") or None, person_id=person_id, item=item, subject=subject)
    try:
        where.subject_clause()
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    with operator_for(instance, None) as op:
        result = audit_service.readable(op.uow(), op.principal, where, page=page, per_page=per_page)
    data = [{**event.raw, "who": event.who, "about": event.about, "sentence": event.sentence}
            for event in result.events]
    footer = f"page {result.page} of {result.pages} ({result.total} events)"
    emit(data, as_json, lambda rows: "\n".join(
        f"{e['id']:>6}  {date_time(datetime.fromisoformat(e['at']))}  {e['who']}: {e['sentence']}  [{e['tag']}]"
        for e in rows) + ("\n" + footer if rows else "no events"))
