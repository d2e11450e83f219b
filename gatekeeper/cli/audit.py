"""Operator commands for the audit log: verify the hash chain, list events."""
from __future__ import annotations

import sys

import click

from consent_db import audit as audit_log
from gatekeeper.cli.common import emit, instance_option, json_option
from gatekeeper.cli.records import records_session


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log."""


@audit.command("verify")
@instance_option
@json_option
def audit_verify(instance, as_json) -> None:
    """Check every row of the chain; exit 1 and name the first bad row if it was tampered with."""
    with records_session(instance) as (session, setting):
        report = audit_log.verify_chain(session)
        # Recording each check (with the head hash) lets an outside copy of the log anchor the chain.
        audit_log.record(session, audit_log.AuditTag.AUDIT_VERIFIED, actor_label=audit_log.CLI_ACTOR,
                         setting_id=setting.id, subject=f"setting:{setting.id}",
                         details={"ok": report.ok, "checked": report.checked, "first_bad_id": report.first_bad_id})
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
    with records_session(instance) as (session, setting):
        data = [audit_log.event_as_dict(e) for e in audit_log.list_events(
            session, tag_prefix=tag_prefix, subject=subject, of_setting=setting.id, limit=limit)]
    emit(data, as_json, lambda rows: "\n".join(
        f"{e['id']:>6}  {e['at'][:19]}  {e['tag']:<28} {e['subject'] or '-':<14} "
        f"{e['actor_label'] or ('account ' + str(e['actor_account_id']) if e['actor_account_id'] else '-')}"
        for e in rows) or "no events")
