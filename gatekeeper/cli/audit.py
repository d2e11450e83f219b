"""Operator commands for the audit log: verify the hash chain, list events."""
from __future__ import annotations

import sys
from datetime import datetime

import click

from consent_db.timeutil import date_time
from gatekeeper.app import audit_log as audit_service
from gatekeeper.cli.common import emit, instance_option, json_option
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
@click.option("--tag", "tag_prefix", help="Only tags starting with this, e.g. consent: or device:revoked.")
@click.option("--subject", help="Only events about this subject, e.g. person:12.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def audit_list(instance, tag_prefix, subject, limit, as_json) -> None:
    """The newest events first."""
    with operator_for(instance, None) as op:
        data = audit_service.events(op.uow(), op.principal, tag_prefix=tag_prefix, subject=subject, limit=limit)
    emit(data, as_json, lambda rows: "\n".join(
        f"{e['id']:>6}  {date_time(datetime.fromisoformat(e['at']))}  {e['tag']:<28} {e['subject'] or '-':<14} "
        f"{e['actor_label'] or ('account ' + str(e['actor_account_id']) if e['actor_account_id'] else '-')}"
        for e in rows) or "no events")
