"""Chunked uploads through the staff routes: start, send chunks, resume, finish, cancel, and every refusal."""
from __future__ import annotations

import io
import os
import struct
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_db import accounts, records
from consent_db.audit import CLI
from consent_db.models import MediaItem
from gatekeeper.app.context import gate_context
from gatekeeper.database import transaction
from gatekeeper.storage.base import QuarantineUnavailable
from tests.web_world import csrf_token, sign_in_directly

CHUNK = 64 * 1024
SENTINEL = b"SENTINEL-PLAINTEXT-c0ffee-5a17"


def with_sentinel(photo: bytes, size: int) -> bytes:
    """A real JPEG padded with comment segments full of the sentinel up to about size bytes."""
    segments, body = [], (SENTINEL * 3000)[:65000]
    while len(photo) + sum(len(s) for s in segments) < size:
        segments.append(b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body)
    return photo[:2] + b"".join(segments) + photo[2:]


@pytest.fixture(autouse=True)
def small_chunks(app):
    app.config["UPLOAD_CHUNK_BYTES"] = CHUNK


def headers(app, client, **more) -> dict:
    return {"X-CSRFToken": csrf_token(app, client), "Accept": "application/json", **more}


def start(app, client, size: int, name="photo.jpg", kind="image/jpeg"):
    return client.post("/staff/upload/start", json={"name": name, "size": size, "type": kind},
                       headers=headers(app, client))


def put(app, client, upload_id: str, index: int, data: bytes, offset: int | None = None, **kwargs):
    offset = index * CHUNK if offset is None else offset
    return client.put(f"/staff/upload/{upload_id}/chunks/{index}?offset={offset}", data=data,
                      headers=headers(app, client), content_type=kwargs.pop("content_type", "application/octet-stream"),
                      **kwargs)


def send(app, client, data: bytes, indexes=None) -> str:
    answer = start(app, client, len(data))
    assert answer.status_code == 201, answer.json
    upload_id = answer.json["id"]
    count = -(-len(data) // CHUNK)
    for index in (range(count) if indexes is None else indexes):
        response = put(app, client, upload_id, index, data[index * CHUNK:(index + 1) * CHUNK])
        assert response.status_code == 201, response.json
    return upload_id


def finish(app, client, upload_id: str):
    return client.post(f"/staff/upload/{upload_id}/finish", headers=headers(app, client))


@pytest.fixture
def colleague(app, world):
    with transaction(app) as db:
        person = records.add_person(db, records.check_person(kind="staff", first_name="Kim", surname="Two"),
                                    setting_id=world.setting_id, actor=CLI)
        account = accounts.create_account(db, setting_id=world.setting_id, email="kim@acorns.test",
                                          password="another long password", role="staff", person_id=person.id)
    client = app.test_client()
    sign_in_directly(app, client, account.id, device_token=world.device_token)
    return client


def items(app) -> list[MediaItem]:
    with gate_context(app).sessions() as session:
        return list(session.scalars(select(MediaItem)))


def test_a_photo_sent_in_chunks_is_received_like_a_one_request_upload(app, world, staff, fake_faces, photo_bytes):
    data = with_sentinel(photo_bytes, 3 * CHUNK)
    upload_id = send(app, staff, data)
    status = staff.get(f"/staff/upload/{upload_id}", headers={"Accept": "application/json"})
    assert status.json["complete"] and status.json["received_bytes"] == len(data)
    answer = finish(app, staff, upload_id)
    assert answer.status_code == 201, answer.json
    assert answer.json["ok"] and answer.json["name"] == "photo.jpg" and answer.json["message"].startswith("Received.")
    (item,) = items(app)
    assert item.public_id == answer.json["id"] and item.device_id == world.device_id
    assert staff.get(f"/staff/upload/{upload_id}").status_code == 404, "the upload is gone once finished"
    assert list((Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads").iterdir()) == []


def test_the_server_says_which_chunks_it_has_so_the_tablet_can_resume(app, staff, photo_bytes):
    data = with_sentinel(photo_bytes, 3 * CHUNK)
    upload_id = send(app, staff, data, indexes=[0, 2])
    status = staff.get(f"/staff/upload/{upload_id}", headers={"Accept": "application/json"}).json
    assert status["received"] == [0, 2] and not status["complete"] and status["chunk_bytes"] == CHUNK
    refused = finish(app, staff, upload_id)
    assert refused.status_code == 409 and "have not arrived" in refused.json["error"].lower()


def test_no_file_under_the_instance_or_the_system_temp_holds_the_plaintext_during_an_upload(app, staff, photo_bytes,
                                                                                          instance_dir):
    began = time.time() - 1
    data = with_sentinel(photo_bytes, 4 * CHUNK)
    upload_id = send(app, staff, data, indexes=[0, 1, 2])
    assert staff.get(f"/staff/upload/{upload_id}").json["received"] == [0, 1, 2]
    holding = [p for p in files_changed_since(Path(instance_dir), began) + files_changed_since(
        Path(tempfile.gettempdir()), began) if SENTINEL in readable(p)]
    assert holding == []


def readable(path: Path) -> bytes:
    # Other programs' files in the system temp folder can vanish between the walk and the read.
    try:
        return path.read_bytes()
    except OSError:
        return b""


def files_changed_since(folder: Path, since: float) -> list[Path]:
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                info = path.lstat()
                if path.is_file() and not path.is_symlink() and info.st_mtime >= since and info.st_size < 64 << 20 \
                        and os.access(path, os.R_OK):
                    found.append(path)
            except OSError:
                continue
    return found


def test_sending_a_chunk_again_is_fine_and_different_bytes_are_refused_with_409(app, staff, photo_bytes):
    data = with_sentinel(photo_bytes, 2 * CHUNK)
    upload_id = send(app, staff, data, indexes=[0])
    again = put(app, staff, upload_id, 0, data[:CHUNK])
    assert again.status_code == 200 and again.json["received"] == [0]
    other = put(app, staff, upload_id, 0, bytes(CHUNK))
    assert other.status_code == 409 and "different bytes" in other.json["error"].lower()


@pytest.mark.parametrize("index, offset, length, status", [
    (5, 5 * CHUNK, 10, 400),       # past the end of the file
    (1, 0, CHUNK, 400),            # offset that is not the chunk's
    (0, 0, CHUNK - 1, 400),        # short chunk
    (0, 0, CHUNK + 1, 413),        # over the chunk size
])
def test_a_chunk_out_of_range_or_of_the_wrong_size_is_refused_and_changes_nothing(app, staff, photo_bytes,
                                                                                  index, offset, length, status):
    upload_id = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[])
    response = put(app, staff, upload_id, index, bytes(length), offset=offset)
    assert response.status_code == status and response.json["error"].lower()
    assert staff.get(f"/staff/upload/{upload_id}").json["received"] == []


def test_a_chunk_must_be_a_raw_body_with_its_offset(app, staff, photo_bytes):
    upload_id = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[])
    as_form = put(app, staff, upload_id, 0, {"file": (io.BytesIO(bytes(100)), "x")},
                  content_type="multipart/form-data")
    assert as_form.status_code == 415
    no_offset = staff.put(f"/staff/upload/{upload_id}/chunks/0", data=bytes(CHUNK), headers=headers(app, staff),
                          content_type="application/octet-stream")
    assert no_offset.status_code == 400 and "offset" in no_offset.json["error"].lower()
    assert staff.get(f"/staff/upload/{upload_id}").json["received"] == []


def test_a_chunk_without_the_csrf_token_is_refused(app, staff, photo_bytes):
    upload_id = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[])
    response = staff.put(f"/staff/upload/{upload_id}/chunks/0?offset=0", data=bytes(CHUNK),
                         content_type="application/octet-stream", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert staff.get(f"/staff/upload/{upload_id}").json["received"] == []


@pytest.mark.parametrize("body, status, words", [
    ({"name": "clip.mp4", "size": 3 * 1024 ** 3, "type": "video/mp4"}, 413, "larger than this service accepts"),
    ({"name": "notes.pdf", "size": 1000, "type": "application/pdf"}, 415, "only photos"),
    ({"name": "notes.txt", "size": 1000, "type": ""}, 415, "only photos"),
    ({"name": "a\u202egpj.exe", "size": 1000, "type": "image/jpeg"}, 400, "control characters"),
    ({"name": "a.jpg", "size": 0, "type": "image/jpeg"}, 400, "empty"),
    ({"name": "a.jpg", "size": "10", "type": "image/jpeg"}, 400, "size"),
    ({"name": "a.jpg", "size": True, "type": "image/jpeg"}, 400, "size"),
])
def test_starting_refuses_a_file_too_large_of_another_type_or_badly_described(app, staff, body, status, words):
    response = staff.post("/staff/upload/start", json=body, headers=headers(app, staff))
    assert response.status_code == status and words in response.json["error"].lower()
    assert not (Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads").exists() or not list(
        (Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads").iterdir())


def test_a_heic_with_no_type_from_the_browser_is_judged_by_its_name(app, staff):
    assert start(app, staff, 1000, name="IMG_0001.HEIC", kind="").status_code == 201


def test_too_many_unfinished_uploads_are_refused(app, staff):
    app.config["UPLOAD_MAX_OPEN"] = 2
    assert [start(app, staff, 10).status_code for _ in range(3)] == [201, 201, 429]


def test_another_account_gets_404_for_every_route_of_someone_elses_upload(app, staff, colleague, photo_bytes):
    data = with_sentinel(photo_bytes, 2 * CHUNK)
    upload_id = send(app, staff, data, indexes=[0])
    assert colleague.get(f"/staff/upload/{upload_id}").status_code == 404
    assert put(app, colleague, upload_id, 1, data[CHUNK:2 * CHUNK]).status_code == 404
    assert finish(app, colleague, upload_id).status_code == 404
    assert colleague.delete(f"/staff/upload/{upload_id}", headers=headers(app, colleague)).status_code == 404
    assert staff.get(f"/staff/upload/{upload_id}").json["received"] == [0]


def test_an_unknown_upload_id_is_404(app, staff):
    assert staff.get("/staff/upload/" + "0" * 32).status_code == 404
    assert staff.get("/staff/upload/not-an-id").status_code == 404


def test_cancelling_removes_the_upload(app, staff, photo_bytes):
    upload_id = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[0])
    assert staff.delete(f"/staff/upload/{upload_id}", headers=headers(app, staff)).status_code == 204
    assert staff.get(f"/staff/upload/{upload_id}").status_code == 404
    assert list((Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads").iterdir()) == []


def test_a_file_the_sanitiser_refuses_is_answered_in_plain_words_and_nothing_is_kept(app, staff, fake_faces):
    upload_id = send(app, staff, b"hello, this is text pretending to be a photo")
    answer = finish(app, staff, upload_id)
    assert answer.status_code == 422 and answer.json["message"].startswith("Not accepted:")
    assert items(app) == []
    assert staff.get(f"/staff/upload/{upload_id}").status_code == 404


def test_when_the_quarantine_is_down_the_upload_is_kept_to_finish_later(app, staff, fake_faces, photo_bytes,
                                                                        monkeypatch):
    upload_id = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK))
    store = gate_context(app).store

    def down(*args, **kwargs):
        raise QuarantineUnavailable("the disk is full")

    monkeypatch.setattr(store, "put", down)
    answer = finish(app, staff, upload_id)
    assert answer.status_code == 503 and "nothing was kept" in answer.json["message"]
    assert staff.get(f"/staff/upload/{upload_id}").json["complete"]
    monkeypatch.undo()
    assert finish(app, staff, upload_id).status_code == 201


def test_signed_out_callers_are_sent_to_sign_in_and_a_personal_phone_cannot_start(app, world):
    anonymous = app.test_client()
    response = anonymous.post("/staff/upload/start", json={"name": "a.jpg", "size": 10, "type": "image/jpeg"},
                              headers=headers(app, anonymous))
    # A script asking for JSON is told it is signed out (the page then offers sign-in), not redirected.
    assert response.status_code == 401 and response.json["signed_out"]
    phone = app.test_client()
    sign_in_directly(app, phone, world.staff_id)  # no tablet cookie
    response = phone.post("/staff/upload/start", json={"name": "a.jpg", "size": 10, "type": "image/jpeg"},
                          headers=headers(app, phone))
    assert response.status_code == 401


def test_a_large_chunk_from_anyone_but_staff_on_a_tablet_is_refused_before_it_is_read(app, world, staff, photo_bytes):
    upload_id = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[])
    app.config["MAX_CONTENT_LENGTH"] = 1024
    phone = app.test_client()
    sign_in_directly(app, phone, world.staff_id)
    response = put(app, phone, upload_id, 0, bytes(CHUNK))
    assert response.status_code == 413


def test_uploads_untouched_for_the_configured_hours_are_removed_by_the_recovery_sweep(app, staff, photo_bytes):
    from gatekeeper.jobs.tasks import recover_after_crashes

    app.config["UPLOAD_ABANDONED_HOURS"] = 2
    old = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[0])
    recent = send(app, staff, with_sentinel(photo_bytes, 2 * CHUNK), indexes=[0])
    folder = Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads" / old
    three_hours_ago = time.time() - 3 * 3600
    for path in (folder, *folder.iterdir()):
        os.utime(path, (three_hours_ago, three_hours_ago))
    found = recover_after_crashes(app)
    assert old in found.removed
    assert staff.get(f"/staff/upload/{old}").status_code == 404
    assert staff.get(f"/staff/upload/{recent}").json["received"] == [0]


def test_staff_on_a_tablet_may_send_a_chunk_larger_than_a_form_post(app, staff, photo_bytes):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = with_sentinel(photo_bytes, 2 * CHUNK)
    upload_id = send(app, staff, data, indexes=[0])
    assert staff.get(f"/staff/upload/{upload_id}").json["received"] == [0]


def test_a_chunked_upload_carries_the_caption_and_who_is_in_it_to_the_item(app, world, staff, fake_faces,
                                                                           photo_bytes):
    about = {"caption": "Ada at the sand tray", "people": [world.child_id]}
    answer = staff.post("/staff/upload/start", json={"name": "photo.jpg", "size": len(photo_bytes),
                                                     "type": "image/jpeg", **about}, headers=headers(app, staff))
    assert answer.status_code == 201, answer.json
    upload_id = answer.json["id"]
    for index in range(-(-len(photo_bytes) // CHUNK)):
        assert put(app, staff, upload_id, index, photo_bytes[index * CHUNK:(index + 1) * CHUNK]).status_code == 201
    done = staff.post(f"/staff/upload/{upload_id}/finish", json=about, headers=headers(app, staff))
    assert done.status_code == 201, done.json
    (item,) = items(app)
    assert item.caption == "Ada at the sand tray" and item.suggested_people == [world.child_id]


@pytest.mark.parametrize("about, words", [
    ({"caption": "Ada Lovelace at the sand tray"}, "surname"),
    ({"people": [99999]}, "no person"),
])
def test_a_caption_or_person_that_would_be_refused_is_refused_before_any_chunk_is_sent(app, staff, photo_bytes,
                                                                                        about, words):
    answer = staff.post("/staff/upload/start", json={"name": "photo.jpg", "size": len(photo_bytes),
                                                     "type": "image/jpeg", **about}, headers=headers(app, staff))
    assert answer.status_code == 422 and words in answer.json["error"]
    assert not (Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads").exists() or \
        list((Path(app.config["QUARANTINE_DIR"]) / ".work" / "uploads").iterdir()) == []


def test_people_that_are_not_a_list_of_ids_are_a_400(app, staff, photo_bytes):
    answer = staff.post("/staff/upload/start", json={"name": "photo.jpg", "size": len(photo_bytes),
                                                     "type": "image/jpeg", "people": "Ada"}, headers=headers(app, staff))
    assert answer.status_code == 400
