"""Staff uploads, their own list, the Manager's queue and actions, and who may see media."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_db.consent import record_decision
from consent_db.models import Decision, GivenBy, MediaItem, Method
from consent_db.timeutil import now
from consent_db import accounts, records
from consent_db.audit import CLI
from gatekeeper.database import transaction
from tests.web_world import post, sign_in_directly


def upload(app, client, data: bytes, name="photo.jpg"):
    return post(app, client, "/staff/upload", {"file": (io.BytesIO(data), name)},
                headers={"Accept": "application/json"}, content_type="multipart/form-data")


@pytest.fixture
def item_id(app, world, staff, fake_faces, photo_bytes) -> str:
    response = upload(app, staff, photo_bytes)
    assert response.status_code == 201, response.json
    return response.json["id"]


def grant(app, world, channel_id):
    with transaction(app) as db:
        record_decision(db, setting_id=world.setting_id, person_id=world.child_id, purpose=channel_id, decision=Decision.GRANT,
                        given_by=GivenBy.GUARDIAN, guardian_id=world.guardian_id, method=Method.PORTAL, at=now())


def published_files(app, slug="website") -> list[Path]:
    folder = Path(app.config["CHANNELS_DIR"]) / slug
    return [p for p in folder.glob("*") if not p.name.startswith(".")] if folder.exists() else []


def test_the_upload_page_offers_the_camera_and_the_library_and_loads_its_script(staff):
    page = staff.get("/staff/upload").data.decode()
    assert 'capture="environment"' in page and "multiple" in page
    assert '<script src="/static/upload.js" defer></script>' in page


def test_an_upload_is_received_analysed_and_held_with_a_plain_status(app, world, staff, item_id):
    page = staff.get("/staff/uploads").data.decode()
    # Only the first letter is raised, as the page's own script does: "the Manager", channel names kept.
    assert "Waiting for the Manager to check who is in it" in page
    assert f"/media/{item_id}/thumbnail" in page
    with transaction(app) as db:
        item = db.scalars(select(MediaItem).where(MediaItem.public_id == item_id)).one()
        assert item.state.value == "held" and item.device_id == world.device_id


def test_a_file_that_is_not_a_photo_or_video_is_refused_in_plain_words_and_nothing_is_kept(app, staff, fake_faces):
    response = upload(app, staff, b"hello, this is text", "notes.txt")
    assert response.status_code == 422
    assert response.json["message"].startswith("Not accepted:")
    with transaction(app) as db:
        assert db.scalars(select(MediaItem)).first() is None


def test_one_json_request_carries_exactly_one_file(app, staff, photo_bytes):
    response = post(app, staff, "/staff/upload",
                    {"file": [(io.BytesIO(photo_bytes), "a.jpg"), (io.BytesIO(photo_bytes), "b.jpg")]},
                    headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert response.status_code == 400


def test_without_javascript_every_chosen_file_gets_its_own_answer(app, staff, fake_faces, photo_bytes):
    response = post(app, staff, "/staff/upload",
                    {"file": [(io.BytesIO(photo_bytes), "good.jpg"), (io.BytesIO(b"nope"), "bad.txt")]},
                    content_type="multipart/form-data")
    page = response.data.decode()
    assert response.status_code == 422
    assert "good.jpg" in page and "Received." in page and "bad.txt" in page and "Not accepted:" in page


def test_posting_no_file_asks_for_one(app, staff):
    response = post(app, staff, "/staff/upload", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and b"Choose at least one" in response.data


def test_a_one_request_upload_over_the_form_limit_is_refused_with_413_before_it_is_read(app, staff, photo_bytes):
    app.config["UPLOAD_FORM_MAX_BYTES"] = 1000
    response = upload(app, staff, photo_bytes + b"\0" * 2000)
    assert response.status_code == 413
    assert "without JavaScript, files up to" in response.json["error"]


def test_the_form_says_how_large_a_file_it_takes_without_javascript_and_refuses_more_in_plain_words(app, staff,
                                                                                                  photo_bytes):
    app.config["UPLOAD_FORM_MAX_BYTES"] = 3 * 1024 * 1024
    page = staff.get("/staff/upload").data.decode()
    assert "Without JavaScript, files up to 3 MB" in page
    response = post(app, staff, "/staff/upload", {"file": (io.BytesIO(photo_bytes + bytes(4 * 1024 * 1024)), "a.jpg")},
                    content_type="multipart/form-data")
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "without JavaScript, files up to 3 MB in all" in response.data.decode()


def test_a_large_upload_is_refused_for_anyone_but_staff_on_a_tablet(app, world, photo_bytes):
    client = app.test_client()
    sign_in_directly(app, client, world.staff_id)  # no device cookie: the session is not accepted
    big = photo_bytes + b"\0" * (2 * 1024 * 1024)
    response = post(app, client, "/staff/upload", {"file": (io.BytesIO(big), "big.jpg")},
                    content_type="multipart/form-data")
    assert response.status_code == 413


def test_the_uploader_sees_their_thumbnail_but_nobody_else_outside_the_office_does(app, world, staff, parent, item_id):
    assert staff.get(f"/media/{item_id}/thumbnail").mimetype == "image/jpeg"
    assert staff.get(f"/media/{item_id}/file").status_code == 200
    with transaction(app) as db:
        person = records.add_person(db, records.check_person(kind="staff", first_name="Kim", surname="Two"),
                                    setting_id=world.setting_id, actor=CLI)
        colleague = accounts.create_account(db, setting_id=world.setting_id, email="kim@acorns.test",
                                            password="another long password", role="staff", person_id=person.id)
    other = app.test_client()
    sign_in_directly(app, other, colleague.id, device_token=world.device_token)
    assert other.get(f"/media/{item_id}/thumbnail").status_code == 404
    assert other.get("/staff/uploads").data.decode().count("/media/") == 0
    assert parent.get(f"/media/{item_id}/thumbnail").status_code == 404
    assert app.test_client().get(f"/media/{item_id}/thumbnail").status_code == 403
    assert staff.get(f"/media/{item_id}/frame?t=0").status_code == 404


def test_staff_cannot_open_the_queue(staff, item_id):
    assert staff.get("/manager/queue").status_code == 403
    assert staff.get(f"/manager/queue/{item_id}").status_code == 403


def test_the_queue_lists_the_item_with_filters(manager, world, item_id):
    assert item_id in manager.get("/manager/queue").data.decode()
    assert item_id in manager.get("/manager/queue?state=held").data.decode()
    assert item_id not in manager.get("/manager/queue?state=ready").data.decode()
    assert item_id in manager.get(f"/manager/queue?uploader={world.staff_id}").data.decode()
    assert item_id not in manager.get(f"/manager/queue?channel={world.website_id}").data.decode()
    assert manager.get("/manager/queue?state=nonsense").status_code == 400


def test_the_item_page_draws_face_boxes_and_says_why_each_channel_is_held(manager, item_id):
    page = manager.get(f"/manager/queue/{item_id}").data.decode()
    assert 'class="facebox' in page and 'data-x="60"' in page and "1: unknown" in page
    assert "Held" in page and "nobody is enrolled" in page
    assert "less reliable" in page
    assert '<script src="/static/faceboxes.js" defer></script>' in page


def test_identify_approve_publish_take_down_and_reject(app, world, manager, item_id):
    grant(app, world, world.website_id)
    response = post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    assert response.status_code == 302
    page = manager.get(f"/manager/queue/{item_id}").data.decode()
    assert "Face 1: Ada Lovelace" in page and "Cleared" in page
    held = post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.newsletter_id})
    assert held.status_code == 400 and "Held for Newsletter" in held.data.decode()
    assert post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id}).status_code == 302
    assert len(published_files(app)) == 1
    assert item_id in manager.get(f"/manager/queue?channel={world.website_id}").data.decode()
    assert "Published on Our website" in manager.get("/manager/queue").data.decode()
    down = post(app, manager, f"/manager/queue/{item_id}/take-down", {"channel_id": world.website_id})
    assert down.status_code == 302 and published_files(app) == []
    assert post(app, manager, f"/manager/queue/{item_id}/reject").status_code == 302
    with transaction(app) as db:
        assert db.scalars(select(MediaItem.state).where(MediaItem.public_id == item_id)).one().value == "purged"
    after = post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    assert after.status_code == 409


def test_a_parents_withdrawal_takes_the_published_item_down(app, world, manager, parent, item_id):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id})
    assert len(published_files(app)) == 1
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "refuse"})
    assert published_files(app) == []
    assert manager.get(f"/manager/queue/{item_id}").data.decode().count("Held") >= 1


def test_not_a_person_and_redaction(app, world, manager, item_id):
    assert post(app, manager, f"/manager/queue/{item_id}/not-a-person", {"face_index": 0}).status_code == 302
    assert "Face 1: not a person" in manager.get(f"/manager/queue/{item_id}").data.decode()
    assert post(app, manager, f"/manager/queue/{item_id}/redact", {"face_index": 0}).status_code == 302


def test_refusals_are_shown_on_the_item_page_and_change_nothing(app, world, manager, item_id):
    assert post(app, manager, f"/manager/queue/{item_id}/approve", {}).status_code == 400
    assert post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 7, "person_id": world.child_id}).status_code == 400
    assert post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": 999}).status_code == 400
    assert post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": "x", "person_id": 1}).status_code == 400
    assert post(app, manager, f"/manager/queue/{item_id}/redact", {}).status_code == 400
    assert post(app, manager, f"/manager/queue/{item_id}/people", {"person_id": world.child_id}).status_code == 409
    assert post(app, manager, f"/manager/queue/{item_id}/audio", {"keep": "yes"}).status_code == 400
    surname = post(app, manager, f"/manager/queue/{item_id}/caption", {"caption": "Ada Lovelace painting"})
    assert surname.status_code == 400
    assert post(app, manager, f"/manager/queue/{item_id}/caption", {"caption": "x" * 501}).status_code == 400


def test_captions_with_a_first_name_are_saved_with_a_warning(app, manager, item_id):
    response = post(app, manager, f"/manager/queue/{item_id}/caption", {"caption": "Ada painting"})
    assert response.status_code == 200 and "Ada" in response.data.decode().split('role="status"')[1][:300]
    ok = post(app, manager, f"/manager/queue/{item_id}/caption", {"caption": "Painting day"})
    assert ok.status_code == 302


def test_retry_analysis(app, manager, item_id):
    assert post(app, manager, f"/manager/queue/{item_id}/retry").status_code == 302


def test_unknown_items_are_404_everywhere(app, manager):
    assert manager.get("/manager/queue/" + "0" * 32).status_code == 404
    assert post(app, manager, "/manager/queue/" + "0" * 32 + "/reject").status_code == 404
    assert manager.get("/media/" + "0" * 32 + "/thumbnail").status_code == 404


def test_video_frames_are_served_to_the_manager_only_for_videos_and_valid_times(app, manager, item_id):
    assert manager.get(f"/media/{item_id}/frame?t=0").status_code == 404
    assert manager.get(f"/media/{item_id}/frame?t=abc").status_code == 400
    assert manager.get(f"/media/{item_id}/frame?t=-1").status_code == 400


def test_a_video_shows_a_frame_of_every_face_with_when_it_was_seen(app, manager, staff, fake_faces, video_bytes):
    video_id = upload(app, staff, video_bytes, "clip.mp4").json["id"]
    page = manager.get(f"/manager/queue/{video_id}").data.decode()
    assert "Every face in the video" in page
    assert re.search(r"Face 1: [a-z ]+ · seen \d+\.\d\d–\d+\.\d\d s", page)
    frame_url = page.split(f'/media/{video_id}/frame?t=')[1].split('"')[0]
    frame = manager.get(f"/media/{video_id}/frame?t={frame_url}")
    assert frame.status_code == 200 and frame.mimetype == "image/jpeg"
    assert manager.get(f"/media/{video_id}/thumbnail").mimetype == "image/jpeg"
    assert manager.get(f"/media/{video_id}/frame?t=9999").status_code == 404
    assert "Cover this face in every frame" in page
    with transaction(app) as db:
        before = db.scalars(select(MediaItem).where(MediaItem.public_id == video_id)).one().content_sha256
    redact = post(app, manager, f"/manager/queue/{video_id}/redact", {"face_index": 0})
    assert redact.status_code == 302
    with transaction(app) as db:
        item = db.scalars(select(MediaItem).where(MediaItem.public_id == video_id)).one()
        # A new, covered copy, analysed again (the fake detector "finds" its face wherever it is asked).
        assert item.content_sha256 != before and item.kind.value == "video" and item.state.value == "held"


def test_an_upload_waits_in_the_private_work_folder_not_the_system_temp(app, staff, fake_faces, photo_bytes,
                                                                        monkeypatch):
    import tempfile

    from gatekeeper.web.uploads import PrivateUploadRequest

    folders = []
    real = tempfile.TemporaryFile

    def recording(*args, **kwargs):
        folders.append(kwargs.get("dir"))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", recording)
    assert app.request_class is PrivateUploadRequest
    # Large enough that werkzeug cannot keep it in memory and must ask for a stream.
    response = upload(app, staff, photo_bytes + b"\0" * 600_000)
    assert response.status_code in (201, 422)
    assert folders and all(Path(f) == Path(app.config["QUARANTINE_DIR"]) / ".work" for f in folders)
