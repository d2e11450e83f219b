"""Staff at upload (caption, who is in it), their own consent, and their uploads' live status."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from consent_db import accounts, records
from consent_db.audit import CLI
from consent_db.inforce import consent_in_force
from consent_db.models import ConsentDecision, GivenBy, ItemState, MediaItem, OutboxRow
from consent_db.timeutil import now
from gatekeeper.app import consent as consent_service
from gatekeeper.app import policy
from gatekeeper.app.context import unit_of_work
from gatekeeper.app.principal import Principal, Role
from gatekeeper.database import transaction
from gatekeeper.web.services.passwords import hasher_for
from tests.queue_rows import add_items
from tests.web_world import PASSWORD, post, sign_in_directly


def upload(app, client, data, **fields):
    return post(app, client, "/staff/upload", {"file": (io.BytesIO(data), "photo.jpg"), **fields},
                headers={"Accept": "application/json"}, content_type="multipart/form-data")


def stored_items(app):
    with transaction(app) as db:
        return [(i.public_id, i.caption, i.suggested_people, i.state.value) for i in db.scalars(select(MediaItem))]


def test_the_upload_page_offers_a_caption_and_the_settings_people(staff):
    page = staff.get("/staff/upload").data.decode()
    assert 'name="caption"' in page
    assert 'name="person"' in page and "Ada Lovelace" in page and "Sam Staff (staff)" in page


def test_a_caption_and_who_is_in_it_are_kept_but_identify_nobody(app, world, staff, manager, fake_faces, photo_bytes):
    response = upload(app, staff, photo_bytes, caption="Painting day", person=[str(world.child_id)])
    assert response.status_code == 201, response.json
    [(item, caption, suggested, state)] = stored_items(app)
    assert caption == "Painting day" and suggested == [world.child_id]
    assert state == "held"  # the suggestion is no identification and no consent
    page = manager.get(f"/manager/queue/{item}").data.decode()
    assert "The person who uploaded it says it shows: Ada Lovelace" in page
    assert "Confirm face 1 is Ada Lovelace" in page and "Face 1: unknown" in page


def test_the_manager_confirms_the_suggestion_face_by_face(app, world, staff, manager, fake_faces, photo_bytes):
    upload(app, staff, photo_bytes, person=[str(world.child_id)])
    [(item, *_)] = stored_items(app)
    assert post(app, manager, f"/manager/queue/{item}/identify",
                {"face_index": 0, "person_id": world.child_id}).status_code == 302
    page = manager.get(f"/manager/queue/{item}").data.decode()
    assert "Face 1: Ada Lovelace</strong> (identified by you)" in page
    assert "Confirm face 1 is" not in page


def test_a_caption_with_a_childs_surname_is_refused_and_nothing_is_kept(app, staff, fake_faces, photo_bytes):
    response = upload(app, staff, photo_bytes, caption="Ada Lovelace at the sand pit")
    assert response.status_code == 422 and "surname" in response.json["message"]
    assert stored_items(app) == []


def test_someone_not_in_the_setting_cannot_be_suggested(app, staff, fake_faces, photo_bytes):
    response = upload(app, staff, photo_bytes, person=["999"])
    assert response.status_code == 422 and "no person 999" in response.json["message"]
    assert upload(app, staff, photo_bytes, person=["Ada"]).status_code == 400
    assert stored_items(app) == []


def test_staff_give_and_withdraw_their_own_consent_per_channel(app, world, staff):
    page = staff.get("/staff/consent").data.decode()
    assert "Our website" in page and "Give my consent" in page
    assert post(app, staff, "/staff/consent", {"purpose": world.website_id, "decision": "grant"}).status_code == 302
    with transaction(app) as db:
        assert consent_in_force(db, [world.staff_person_id], world.website_id, now())[world.staff_person_id].allowed
        [decision] = db.scalars(select(ConsentDecision).where(ConsentDecision.person_id == world.staff_person_id))
        assert decision.given_by is GivenBy.SELF and decision.guardian_id is None
    assert "Withdraw my consent" in staff.get("/staff/consent").data.decode()
    assert post(app, staff, "/staff/consent", {"purpose": world.website_id, "decision": "refuse"}).status_code == 302
    with transaction(app) as db:
        assert not consent_in_force(db, [world.staff_person_id], world.website_id, now())[world.staff_person_id].allowed
        kinds = [r.kind for r in db.scalars(select(OutboxRow).order_by(OutboxRow.id))]
    assert kinds.count("consent_changed") == 2 and "consent_withdrawn" in kinds


def test_bad_consent_requests_change_nothing(app, world, staff):
    assert post(app, staff, "/staff/consent", {"purpose": world.website_id, "decision": "maybe"}).status_code == 400
    assert post(app, staff, "/staff/consent", {"purpose": "999", "decision": "grant"}).status_code == 400
    with transaction(app) as db:
        assert db.scalars(select(ConsentDecision)).first() is None


def test_an_account_without_a_staff_record_has_no_consent_of_its_own(app, world):
    manager = Principal(Role.MANAGER, world.setting_id, account_id=world.manager_id)
    with pytest.raises(policy.NoStaffRecord, match="not linked to a staff record"):
        consent_service.own_consent(unit_of_work(app), manager)
    with pytest.raises(policy.NoStaffRecord):
        consent_service.decide_for_self(unit_of_work(app), manager, world.website_id, "grant")
    parent = Principal(Role.PARENT, world.setting_id, account_id=world.parent_id, guardian_id=world.guardian_id)
    with pytest.raises(policy.Forbidden):
        consent_service.own_consent(unit_of_work(app), parent)
    with transaction(app) as db:
        assert db.scalars(select(ConsentDecision)).first() is None


def test_my_uploads_come_in_a_stated_order_and_as_json_for_polling(app, world, staff, fake_faces, photo_bytes):
    first = upload(app, staff, photo_bytes).json["id"]
    second = upload(app, staff, photo_bytes).json["id"]
    with transaction(app) as db:
        item = db.scalars(select(MediaItem).where(MediaItem.public_id == first)).one()
        item.received_at = item.received_at.replace(year=item.received_at.year - 1)
    newest = staff.get("/staff/uploads").data.decode()
    assert "2 uploads, newest first" in newest and newest.index(second) < newest.index(first)
    oldest = staff.get("/staff/uploads?order=oldest").data.decode()
    assert "2 uploads, oldest first" in oldest and oldest.index(first) < oldest.index(second)
    assert "/static/my_uploads.js" in oldest
    data = staff.get("/staff/uploads.json?order=oldest").json
    assert data["order"] == "oldest" and [u["id"] for u in data["uploads"]] == [first, second]
    assert data["uploads"][0]["state"] == "held" and data["uploads"][0]["status"].startswith("waiting for the Manager")


def test_the_json_list_holds_only_the_staff_members_own_uploads(app, world, staff, manager, fake_faces, photo_bytes):
    upload(app, staff, photo_bytes)
    with transaction(app) as db:
        person = records.add_person(db, records.check_person(kind="staff", first_name="Kim", surname="Colleague"),
                                    setting_id=world.setting_id, actor=CLI)
        colleague = accounts.create_account(db, setting_id=world.setting_id, email="kim@acorns.test", person_id=person.id,
                                            password=PASSWORD, role="staff", hasher=hasher_for(app.config))
    client = app.test_client()
    sign_in_directly(app, client, colleague.id, device_token=world.device_token)
    assert client.get("/staff/uploads.json").json["uploads"] == []
    assert manager.get("/staff/uploads.json").status_code in (302, 403)


def test_my_uploads_page_through_everything_in_either_order(app, world, staff):
    with transaction(app) as db:
        ids = add_items(db, world.setting_id, [ItemState.HELD] * 55, at=now(), uploader=world.staff_id)
    first_page = staff.get("/staff/uploads").data.decode()
    assert "55 uploads, newest first, page 1 of 2" in first_page
    assert ids[-1] in first_page and ids[4] not in first_page
    second = staff.get("/staff/uploads.json?page=2").json
    assert (second["page"], second["pages"], second["total"]) == (2, 2, 55)
    assert [u["id"] for u in second["uploads"]] == list(reversed(ids[:5])), "the oldest five, nothing lost"
    oldest = staff.get("/staff/uploads?order=oldest").data.decode()
    assert oldest.index(ids[0]) < oldest.index(ids[1]) and ids[-1] not in oldest
    assert 'rel="next" href="/staff/uploads?order=oldest&amp;page=2"' in oldest


@pytest.mark.parametrize("page", ["0", "abc", "-1", "100001"])
def test_a_malformed_uploads_page_is_refused(staff, page):
    for path in ("/staff/uploads", "/staff/uploads.json"):
        answer = staff.get(f"{path}?page={page}")
        assert answer.status_code == 400
