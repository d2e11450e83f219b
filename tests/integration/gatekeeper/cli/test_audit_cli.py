"""`gatekeeper audit verify|list`: the operator checks the chain and reads the log."""
from __future__ import annotations

import sqlite3


def test_audit_list_shows_what_the_operator_did(gk):
    gk.json("channels", "add", "website", "--name", "Website", "--description", "Our website")
    events = gk.json("audit", "list", "--tag", "channel:")
    assert [(e["tag"], e["actor_label"], e["details"]["slug"]) for e in events] == [
        ("channel:added", "operator (cli)", "website")]
    assert "channel:added" in gk("audit", "list").stdout


def test_audit_verify_passes_on_an_intact_chain(gk):
    report = gk.json("audit", "verify")
    assert report["ok"] and report["checked"] >= 2
    assert "intact" in gk("audit", "verify").stdout


def test_audit_verify_fails_and_names_the_row_after_tampering(gk):
    gk.json("people", "add", "--kind", "staff", "--first-name", "Grace", "--surname", "Hopper")
    with sqlite3.connect(gk.instance / "gatekeeper.db") as db:
        db.execute("UPDATE audit_events SET actor_label = 'nobody' WHERE id = 2")
    result = gk("audit", "verify")
    assert result.exit_code == 1 and "BROKEN at row 2" in result.stdout


def test_audit_list_rejects_a_bad_limit(gk):
    assert gk("audit", "list", "--limit", "0").exit_code == 2
