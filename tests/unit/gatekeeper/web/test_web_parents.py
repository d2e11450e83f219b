"""The parent portal: own children only, switches that take effect at once, history, export, withdraw all."""
from __future__ import annotations

import json

from consent_db import records
from consent_db.audit import CLI
from gatekeeper.database import transaction
from tests.web_world import post


def test_a_parent_sees_only_their_own_children(parent, world):
    page = parent.get("/family").data.decode()
    assert "Ada Lovelace" in page and "Bo Other" not in page


def test_another_familys_child_is_not_found_by_changing_the_id(app, parent, world, consent_changes):
    other = world.other_child_id
    assert parent.get(f"/family/child/{other}").status_code == 404
    assert parent.get(f"/family/child/{other}/data.json").status_code == 404
    assert post(app, parent, f"/family/child/{other}/consent", {"purpose": world.website_id, "decision": "grant"}).status_code == 404
    assert post(app, parent, f"/family/child/{other}/withdraw-all").status_code == 404
    assert parent.get(f"/family/child/{world.staff_person_id}").status_code == 404
    assert parent.get("/family/child/99999").status_code == 404
    assert consent_changes == []


def test_the_child_page_describes_each_channel_and_face_matching_separately(parent, world):
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert "Photos on the setting&#39;s public website." in page
    assert "Face matching (separate from the above)" in page and "biometric" in page
    assert page.count('role="switch"') == 3 and 'aria-checked="false"' in page


def test_a_grant_takes_effect_at_once_and_a_withdrawal_starts_the_takedown(app, parent, world, consent_changes):
    grant = post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    assert grant.status_code == 302
    assert consent_changes[-1].allowed
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert 'aria-checked="true"' in page and "Allowed now." in page
    withdraw = post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "refuse"})
    assert withdraw.status_code == 302 and consent_changes[-1].ended
    assert "being taken down now" in parent.get(f"/family/child/{world.child_id}").data.decode()


def test_the_history_shows_the_other_guardians_changes_too(app, parent, world, manager):
    post(app, manager, f"/manager/people/{world.child_id}/guardians",
         {"name": "Bill Lovelace", "email": "bill@family.test", "parental_responsibility": "yes"})
    from sqlalchemy import select

    from consent_db.consent import record_decision
    from consent_db.models import Guardian
    from consent_db.timeutil import now

    with transaction(app) as db:
        bill = db.scalars(select(Guardian).where(Guardian.email == "bill@family.test")).one()
        record_decision(db, setting_id=world.setting_id, person_id=world.child_id, purpose=world.newsletter_id, decision="grant", given_by="guardian",
                        guardian_id=bill.id, method="portal", at=now())
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert "allowed by Bill Lovelace" in page


def test_face_matching_can_be_given_and_withdrawn(app, parent, world, consent_changes):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": "face-matching", "decision": "grant"})
    assert consent_changes[-1].purpose == "face-matching" and consent_changes[-1].allowed


def test_withdraw_everything_in_one_step(app, parent, world, consent_changes):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    response = post(app, parent, f"/family/child/{world.child_id}/withdraw-all")
    assert response.status_code == 302
    assert len(consent_changes) == 1 + 3 and consent_changes[1].ended
    assert 'aria-checked="true"' not in parent.get(f"/family/child/{world.child_id}").data.decode()


def test_bad_decisions_are_refused(app, parent, world):
    url = f"/family/child/{world.child_id}/consent"
    assert post(app, parent, url, {"purpose": world.website_id, "decision": "maybe"}).status_code == 400
    assert post(app, parent, url, {"purpose": "moon", "decision": "grant"}).status_code == 400
    assert post(app, parent, url, {"purpose": "9999", "decision": "grant"}).status_code == 400


def test_a_carer_without_parental_responsibility_can_look_but_not_change(app, world, parent):
    with transaction(app) as db:
        step = records.add_person(db, records.check_person(kind="child", first_name="Cy", surname="Step"),
                                  setting_id=world.setting_id, actor=CLI)
        records.add_guardian(db, setting_id=world.setting_id, name="Anne Lovelace", email="anne@family.test",
                             child_id=step.id, parental_responsibility=False, actor=CLI)
    page = parent.get(f"/family/child/{step.id}").data.decode()
    assert 'role="switch"' not in page
    response = post(app, parent, f"/family/child/{step.id}/consent", {"purpose": world.website_id, "decision": "grant"})
    assert response.status_code == 400 and b"parental responsibility" in response.data
    assert post(app, parent, f"/family/child/{step.id}/withdraw-all").status_code == 400


def test_all_data_about_the_child_downloads_as_json(app, parent, world):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    response = parent.get(f"/family/child/{world.child_id}/data.json")
    assert response.mimetype == "application/json" and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["child"]["first_name"] == "Ada"
    assert data["consent_history"][0]["purpose"] == "Our website"
    assert data["face_templates_stored"] == 0
    assert data["media_showing_the_child"] == []
    assert any(event["tag"] == "consent:granted" for event in data["audit_events"])
