"""The Manager's records pages: people, class-list import, guardians, leaving dates, consent, channels,
accounts and invitations, and the audit log."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from consent_db.models import Account, Person
from gatekeeper.database import transaction
from gatekeeper.web.services import mail
from gatekeeper.web.services.qr import qr_svg
from tests.web_world import PASSWORD, post


def test_people_list_and_filters(manager):
    page = manager.get("/manager/people").data.decode()
    assert "Ada Lovelace" in page and "Sam Staff" in page
    assert "Sam Staff" not in manager.get("/manager/people?kind=child").data.decode()
    assert manager.get("/manager/people?kind=robot").status_code == 400


def test_adding_a_person_and_refusing_bad_details(app, manager):
    response = post(app, manager, "/manager/people", {"kind": "child", "first_name": "Grace", "surname": "Hopper",
                                                      "born": "2022-03-01", "room": "Acorns"})
    assert response.status_code == 302
    assert "Grace Hopper" in manager.get(response.location).data.decode()
    bad = post(app, manager, "/manager/people", {"kind": "child", "first_name": "", "surname": "X"})
    assert bad.status_code == 400 and b"First name must not be empty." in bad.data
    date = post(app, manager, "/manager/people", {"kind": "child", "first_name": "A", "surname": "B", "born": "01/02/2022"})
    assert date.status_code == 400 and b"use YYYY-MM-DD" in date.data


def csv_upload(app, manager, text: bytes):
    return post(app, manager, "/manager/people/import", {"file": (io.BytesIO(text), "class.csv")},
                content_type="multipart/form-data")


def test_a_class_list_imports_everyone_or_nobody(app, world, manager):
    text = "First name,Surname,DOB\nMia,Moss,2021-05-01\nLeo,Lark,2021-06-02\n"
    preview = csv_upload(app, manager, text.encode())
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.data.decode())[1]
    ok = post(app, manager, "/manager/people/import/confirm", {"csv": text, "fingerprint": fingerprint})
    assert ok.status_code == 302
    bad = csv_upload(app, manager, b"first_name,surname,born\nZed,Zee,2021-13-01\nYan,Yu,2021-01-01\n")
    assert bad.status_code == 400 and b"row 2:" in bad.data
    with transaction(app) as db:
        names = set(db.scalars(select(Person.first_name)))
    assert {"Mia", "Leo"} <= names and not {"Zed", "Yan"} & names


def test_a_class_list_must_be_a_chosen_utf8_file_of_sensible_size(app, manager):
    assert post(app, manager, "/manager/people/import", {}, content_type="multipart/form-data").status_code == 400
    assert b"not UTF-8" in csv_upload(app, manager, b"first_name,surname\n\xff\xfe\xfa,x\n").data
    assert b"too large" in csv_upload(app, manager, b"first_name,surname\n" + b"a,b\n" * 140_000).data


def test_person_page_shows_consent_history_and_the_children_caveat(manager, world):
    page = manager.get(f"/manager/people/{world.child_id}").data.decode()
    assert "Consent in force now" in page and "Anne Lovelace" in page and "less reliable" in page
    assert "Face-matching consent is not in force" in page
    assert manager.get("/manager/people/9999").status_code == 404


def test_a_paper_form_needs_evidence_and_then_counts_and_reaches_the_gate(app, world, manager, consent_changes):
    form = {"purpose": world.website_id, "decision": "grant", "guardian_id": world.guardian_id}
    missing = post(app, manager, f"/manager/people/{world.child_id}/paper-form", form)
    assert missing.status_code == 400 and b"evidence note" in missing.data
    assert consent_changes == []
    ok = post(app, manager, f"/manager/people/{world.child_id}/paper-form", {**form, "evidence": "Folder A p3"})
    assert ok.status_code == 302
    assert [c.allowed for c in consent_changes] == [True]
    page = manager.get(f"/manager/people/{world.child_id}").data.decode()
    assert "Folder A p3" in page and "paper form" in page


def test_a_paper_form_for_every_purpose_at_once(app, world, manager, consent_changes):
    post(app, manager, f"/manager/people/{world.child_id}/paper-form",
         {"purpose": "all", "decision": "grant", "guardian_id": world.guardian_id, "evidence": "Form 7"})
    assert len(consent_changes) == 3


def test_a_paper_form_refuses_a_bad_purpose_date_or_guardian(app, world, manager):
    url = f"/manager/people/{world.child_id}/paper-form"
    base = {"decision": "grant", "guardian_id": world.guardian_id, "evidence": "x"}
    assert post(app, manager, url, {**base, "purpose": "moon"}).status_code == 400
    assert post(app, manager, url, {**base, "purpose": world.website_id, "expires": "2000-01-01"}).status_code == 400
    assert post(app, manager, url, {**base, "purpose": world.website_id,
                                    "guardian_id": world.other_guardian_id}).status_code == 400
    assert post(app, manager, "/manager/people/9999/paper-form", {**base, "purpose": world.website_id}).status_code == 404


def test_a_childs_objection_wins_and_can_be_lifted(app, world, manager, consent_changes):
    post(app, manager, f"/manager/people/{world.child_id}/paper-form",
         {"purpose": world.website_id, "decision": "grant", "guardian_id": world.guardian_id, "evidence": "x"})
    post(app, manager, f"/manager/people/{world.child_id}/objection", {"purpose": "all", "evidence": "said no"})
    assert consent_changes[-3].ended
    post(app, manager, f"/manager/people/{world.child_id}/objection", {"purpose": world.website_id, "action": "lift"})
    assert consent_changes[-1].allowed
    staff_objection = post(app, manager, f"/manager/people/{world.staff_person_id}/objection", {"purpose": "all"})
    assert staff_objection.status_code == 400


def test_leaving_dates_are_set_cleared_and_checked(app, world, manager):
    assert post(app, manager, f"/manager/people/{world.child_id}/leaving", {"leaves": "2030-07-31"}).status_code == 302
    assert b"2030-07-31" in manager.get(f"/manager/people/{world.child_id}").data
    assert post(app, manager, f"/manager/people/{world.child_id}/leaving", {"leaves": ""}).status_code == 302
    assert post(app, manager, f"/manager/people/{world.child_id}/leaving", {"leaves": "soon"}).status_code == 400
    assert post(app, manager, "/manager/people/9999/leaving", {"leaves": ""}).status_code == 404


def test_guardians_are_linked_with_or_without_parental_responsibility(app, world, manager):
    ok = post(app, manager, f"/manager/people/{world.child_id}/guardians",
              {"name": "Bill Lovelace", "email": "bill@family.test", "parental_responsibility": "yes"})
    assert ok.status_code == 302
    assert b"Bill Lovelace" in manager.get(f"/manager/people/{world.child_id}").data
    bad = post(app, manager, f"/manager/people/{world.child_id}/guardians", {"name": "X", "email": "not-an-email"})
    assert bad.status_code == 400
    staff = post(app, manager, f"/manager/people/{world.staff_person_id}/guardians", {"name": "X", "email": "x@y.zz"})
    assert staff.status_code == 400
    assert post(app, manager, "/manager/people/9999/guardians", {"name": "X", "email": "x@y.zz"}).status_code == 404


def test_channels_are_added_with_a_description_for_parents(app, manager):
    ok = post(app, manager, "/manager/channels", {"slug": "screens", "name": "Display screens",
                                                  "description": "The screen in the entrance hall."})
    assert ok.status_code == 302 and b"Display screens" in manager.get("/manager/channels").data
    assert post(app, manager, "/manager/channels", {"slug": "Bad Slug", "name": "x", "description": "y"}).status_code == 400
    assert post(app, manager, "/manager/channels", {"slug": "screens", "name": "x", "description": "y"}).status_code == 400
    assert post(app, manager, "/manager/channels", {"slug": "other", "name": "x", "description": ""}).status_code == 400


def link_in(page: str) -> str:
    return re.search(r'id="invitation-link">([^<]+)<', page).group(1)


def test_inviting_a_parent_shows_a_one_time_link_that_sets_a_password(app, world, manager):
    app.config["PUBLIC_URL"] = "http://localhost"  # links are made only from PUBLIC_URL
    post(app, manager, f"/manager/people/{world.child_id}/guardians", {"name": "Bill Lovelace", "email": "bill@family.test",
                                                                       "parental_responsibility": "yes"})
    with transaction(app) as db:
        from consent_db.models import Guardian

        bill = db.scalars(select(Guardian).where(Guardian.email == "bill@family.test")).one().id
    page = post(app, manager, "/manager/accounts/invite", {"role": "parent", "guardian_id": bill}).data.decode()
    link = link_in(page)
    assert str(qr_svg(link)) in page, "the same link as a QR code for the parent's phone camera"
    assert "bill@family.test" in manager.get("/manager/accounts").data.decode()
    path = link.split("localhost", 1)[1]
    newcomer = app.test_client()
    assert b"bill@family.test" in newcomer.get(path).data
    weak = post(app, newcomer, path, {"new_password": "short", "confirm_password": "short"})
    assert weak.status_code == 400
    mismatch = post(app, newcomer, path, {"new_password": "long enough pass", "confirm_password": "different"})
    assert mismatch.status_code == 400
    assert post(app, newcomer, path, {"new_password": "long enough pass", "confirm_password": "long enough pass"}).status_code == 302
    used = newcomer.get(path)
    assert used.status_code == 404 and b"used already or has expired" in used.data
    assert post(app, newcomer, path, {"new_password": "long enough pass", "confirm_password": "long enough pass"}).status_code == 404
    with transaction(app) as db:
        account = db.scalars(select(Account).where(Account.email == "bill@family.test")).one()
        assert account.role.value == "parent" and account.guardian_id == bill


def test_an_unknown_invitation_link_is_refused(app):
    assert app.test_client().get("/invite/not-a-token").status_code == 404


def test_inviting_staff_and_managers_and_refusing_bad_invitations(app, world, manager):
    app.config["PUBLIC_URL"] = "http://localhost"  # links are made only from PUBLIC_URL
    from consent_db import records
    from consent_db.audit import CLI

    with transaction(app) as db:
        kim = records.add_person(db, records.check_person(kind="staff", first_name="Kim", surname="Two"),
                                 setting_id=world.setting_id, actor=CLI).id
    assert "invitation-link" in post(app, manager, "/manager/accounts/invite",
                                     {"role": "staff", "person_id": kim, "email": "kim@acorns.test"}).data.decode()
    assert "invitation-link" in post(app, manager, "/manager/accounts/invite",
                                     {"role": "manager", "email": "deputy@acorns.test"}).data.decode()
    assert post(app, manager, "/manager/accounts/invite", {"role": "staff", "person_id": world.child_id,
                                                           "email": "x@y.zz"}).status_code == 400
    assert post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": world.parent_email}).status_code == 400
    assert post(app, manager, "/manager/accounts/invite", {"role": "wizard", "email": "x@y.zz"}).status_code == 400
    assert post(app, manager, "/manager/accounts/invite", {"role": "parent"}).status_code == 400
    assert post(app, manager, "/manager/accounts/invite", {"role": "parent", "guardian_id": 999}).status_code == 400


class RecordingMailer(mail.Mailer):
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def send(self, to, subject, body):
        if self.fail:
            raise mail.MailError("The email could not be sent (ConnectionRefusedError); hand the link over instead.")
        self.sent.append((to, subject, body))


def test_with_smtp_the_invitation_is_emailed_and_the_link_not_shown(app, world, manager):
    app.config["PUBLIC_URL"] = "http://localhost"  # links are made only from PUBLIC_URL
    mailer = RecordingMailer()
    app.extensions[mail.EXTENSION] = mailer
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"}).data.decode()
    assert "emailed to deputy@acorns.test" in page and "invitation-link" not in page
    assert mailer.sent[0][0] == "deputy@acorns.test" and "/invite/" in mailer.sent[0][2]


def test_when_email_fails_the_link_is_shown_to_hand_over(app, world, manager):
    app.config["PUBLIC_URL"] = "http://localhost"  # links are made only from PUBLIC_URL
    app.extensions[mail.EXTENSION] = RecordingMailer(fail=True)
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"}).data.decode()
    assert "could not be sent" in page and "invitation-link" in page


def test_disabling_accounts(app, world, manager, parent):
    assert post(app, manager, f"/manager/accounts/{world.parent_id}/disable").status_code == 302
    assert parent.get("/family").status_code == 302
    assert post(app, manager, f"/manager/accounts/{world.manager_id}/disable").status_code == 400
    assert post(app, manager, "/manager/accounts/999/disable").status_code == 400


def test_a_disabled_account_is_enabled_again_and_signs_in_with_its_own_password(app, world, manager):
    url = f"/manager/accounts/{world.parent_id}"
    not_disabled = post(app, manager, url + "/enable")
    assert not_disabled.status_code == 400 and "is not disabled" in not_disabled.data.decode()
    post(app, manager, url + "/disable")
    assert f'action="{url}/enable"' in manager.get("/manager/accounts").data.decode()
    enabled = post(app, manager, url + "/enable")
    assert enabled.status_code == 302 and "can sign in again" in manager.get(enabled.location).data.decode()
    assert post(app, app.test_client(), "/signin", {"email": world.parent_email, "password": PASSWORD}).status_code == 302
    assert "was enabled again." in manager.get("/manager/audit").data.decode()
    assert post(app, manager, "/manager/accounts/999/enable").status_code == 400


def test_the_audit_log_filters_exports_and_verifies_its_chain(app, world, manager):
    page = manager.get("/manager/audit").data.decode()
    assert "person:added" in page
    filtered = manager.get("/manager/audit?tag=device:").data.decode()
    assert "device:paired" in filtered and "person:added" not in filtered
    assert f"person:{world.child_id}" in manager.get(f"/manager/audit?subject=person:{world.child_id}").data.decode()
    assert manager.get("/manager/audit?tag=" + "x" * 65).status_code == 400
    export = manager.get("/manager/audit/export.csv")
    assert export.mimetype == "text/csv" and export.data.decode().startswith("id,at,tag,")
    verified = post(app, manager, "/manager/audit/verify").data.decode()
    assert "The chain is intact" in verified


def test_a_tampered_audit_chain_is_reported(app, world, manager):
    from consent_db.models import AuditEvent

    with transaction(app) as db:
        db.get(AuditEvent, 2).details = '{"tampered":true}'
    page = post(app, manager, "/manager/audit/verify").data.decode()
    assert "The chain is broken" in page and "row 2" in page
