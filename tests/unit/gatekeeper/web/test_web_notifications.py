"""Notifications end to end in the app: what the Manager and each parent are told, shown in the pages
and emailed once through the outbox, and never a word about another family's child."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from consent_db.consent import record_decision
from consent_db.models import Decision, GivenBy, Method, Notification, OutboxRow
from consent_db.timeutil import now
from gatekeeper.app import notifications
from gatekeeper.app.context import gate_context
from gatekeeper.app.drain import drain
from gatekeeper.database import transaction
from gatekeeper.notify import Mailer, MailError
from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit
from tests.web_world import post


class RecordingMailer(Mailer):
    """Keeps what it was asked to send; refuses while `down` is set, as an unreachable server would."""

    def __init__(self):
        self.sent: list[tuple[str, str, str]] = []
        self.down = False

    def send(self, to, subject, body):
        if self.down:
            raise MailError("The email could not be sent (ConnectionRefusedError).")
        self.sent.append((to, subject, body))

    def to(self, address):
        return [(s, b) for t, s, b in self.sent if t == address]


@pytest.fixture
def mailer(app):
    sender = RecordingMailer()
    gate_context(app).mailer_factory = lambda _config: sender
    app.config["PUBLIC_URL"] = "https://photos.acorns.test"
    return sender


@pytest.fixture
def two_faces(app):
    from gatekeeper.faces.plugins import FaceEngine

    engine = FaceEngine(FixedDetector([face_row(20, 30, 60, 60), face_row(140, 30, 60, 60)]),
                        VectorRecogniser({20.0: unit(1), 140.0: unit(2)}))
    gate_context(app).engine_factory = lambda _config: engine
    return engine


def upload(app, staff, data):
    response = post(app, staff, "/staff/upload", {"file": (io.BytesIO(data), "photo.jpg")},
                    headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def grant(app, world, child_id, guardian_id, channel_id):
    with transaction(app) as db:
        record_decision(db, setting_id=world.setting_id, person_id=child_id, purpose=channel_id,
                        decision=Decision.GRANT, given_by=GivenBy.GUARDIAN, guardian_id=guardian_id,
                        method=Method.PORTAL, at=now())


def notes_of(app, account_id):
    with transaction(app) as db:
        return [(n.kind, n.subject, n.body, n.link) for n in
                db.scalars(select(Notification).where(Notification.account_id == account_id).order_by(Notification.id))]


def publish_both_children(app, world, manager, staff, photo_bytes) -> str:
    item = upload(app, staff, photo_bytes)
    for index, child in ((0, world.child_id), (1, world.other_child_id)):
        assert post(app, manager, f"/manager/queue/{item}/identify",
                    {"face_index": index, "person_id": child}).status_code == 302
    grant(app, world, world.child_id, world.guardian_id, world.website_id)
    grant(app, world, world.other_child_id, world.other_guardian_id, world.website_id)
    assert post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": world.website_id}).status_code == 302
    return item


def test_a_new_upload_tells_the_manager_once_in_the_pages_and_by_email(app, world, staff, manager, mailer,
                                                                       fake_faces, photo_bytes):
    item = upload(app, staff, photo_bytes)
    [(kind, subject, body, link)] = notes_of(app, world.manager_id)
    assert kind == "item_waiting" and subject == "A new photo is waiting"
    assert link == f"/manager/queue/{item}"
    [(email_subject, email_body)] = mailer.to(world.manager_email)
    assert email_subject == subject and f"https://photos.acorns.test/manager/queue/{item}" in email_body
    drain(gate_context(app))
    assert len(mailer.to(world.manager_email)) == 1
    page = manager.get("/manager/queue").data.decode()
    assert 'Notifications <span class="badge">1<span class="visually-hidden"> unread</span>' in page


def names(text: str, name: str) -> bool:
    """Whether name is in the text as a word, not as letters inside a link's random token."""
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])", text) is not None


def test_a_photo_of_two_families_tells_each_parent_only_of_their_own_child(app, world, staff, manager, mailer,
                                                                           two_faces, photo_bytes):
    publish_both_children(app, world, manager, staff, photo_bytes)
    [(kind, subject, body, link)] = notes_of(app, world.parent_id)
    assert kind == "item_published"
    assert subject == "A photo of Ada was published on Our website"
    assert not names(subject + body, "Bo") and "Other" not in subject + body
    [(other_subject, other_body)] = mailer.to(world.other_parent_email)
    assert other_subject == "A photo of Bo was published on Our website"
    assert not names(other_subject + other_body, "Ada") and "Lovelace" not in other_subject + other_body
    [(_, ada_body)] = mailer.to(world.parent_email)
    assert "Ada" in ada_body and not names(ada_body, "Bo") and link in ada_body


def test_a_parent_sees_the_published_photo_from_the_link_and_is_offered_withdrawal(app, world, staff, manager, parent,
                                                                                   mailer, two_faces, photo_bytes):
    publish_both_children(app, world, manager, staff, photo_bytes)
    [(_, _, _, link)] = notes_of(app, world.parent_id)
    page = parent.get(link)
    assert page.status_code == 200
    text = page.data.decode()
    assert "Withdraw consent for Our website for Ada" in text and not names(text, "Bo")
    picture = parent.get(link + "/file")
    assert picture.status_code == 200 and picture.data[:3] == b"\xff\xd8\xff"
    assert picture.headers["Cache-Control"] == "private, no-store"


def test_a_parent_whose_child_is_not_in_the_photo_gets_nothing_and_cannot_open_it(app, world, staff, manager, mailer,
                                                                                  fake_faces, other_parent, photo_bytes):
    item = upload(app, staff, photo_bytes)
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 0, "person_id": world.child_id})
    grant(app, world, world.child_id, world.guardian_id, world.website_id)
    post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": world.website_id})
    assert notes_of(app, world.other_parent_id) == [] and mailer.to(world.other_parent_email) == []
    [(_, _, _, link)] = notes_of(app, world.parent_id)
    assert other_parent.get(link).status_code == 404
    assert other_parent.get(link + "/file").status_code == 404


def test_withdrawal_tells_the_manager_and_the_takedown_too(app, world, staff, manager, parent, mailer,
                                                           fake_faces, photo_bytes):
    item = upload(app, staff, photo_bytes)
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 0, "person_id": world.child_id})
    grant(app, world, world.child_id, world.guardian_id, world.website_id)
    post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": world.website_id})
    response = post(app, parent, f"/family/child/{world.child_id}/consent",
                    {"purpose": world.website_id, "decision": "refuse"})
    assert response.status_code in (200, 302)
    kinds = [kind for kind, *_ in notes_of(app, world.manager_id)]
    assert sorted(kinds) == ["consent_withdrawn", "item_taken_down", "item_waiting"]
    subjects = [s for s, _ in mailer.to(world.manager_email)]
    assert "Consent withdrawn: Ada Lovelace, Our website" in subjects
    assert "A photo was taken down from Our website" in subjects


def test_an_smtp_failure_keeps_the_outbox_row_and_a_later_drain_sends_it_exactly_once(app, world, staff, mailer,
                                                                                        fake_faces, photo_bytes):
    mailer.down = True
    upload(app, staff, photo_bytes)
    assert mailer.sent == [] and len(notes_of(app, world.manager_id)) == 1
    with transaction(app) as db:
        [row] = db.scalars(select(OutboxRow).where(OutboxRow.kind == "item_waiting"))
        assert row.done_at is None and "could not be sent" in row.last_error
        row.due_at = now()  # the retry's back-off has passed
    mailer.down = False
    drain(gate_context(app))
    drain(gate_context(app))
    assert len(mailer.to(world.manager_email)) == 1
    assert len(notes_of(app, world.manager_id)) == 1


def test_a_manager_who_chose_a_daily_digest_gets_one_email_a_day(app, world, staff, manager, mailer,
                                                                fake_faces, photo_bytes):
    assert post(app, manager, "/notifications/email", {"email": "daily"}).status_code == 302
    upload(app, staff, photo_bytes)
    upload(app, staff, photo_bytes)
    assert mailer.to(world.manager_email) == []
    ctx = gate_context(app)
    assert notifications.send_daily_digests(ctx).emailed == 1
    [(subject, body)] = mailer.to(world.manager_email)
    assert subject == "Photo Gatekeeper: 2 notifications today" and body.count("A new photo is waiting") == 2
    upload(app, staff, photo_bytes)
    assert notifications.send_daily_digests(ctx).emailed == 0  # not a day since the last one


def test_a_parent_cannot_choose_a_digest(app, parent, mailer):
    assert post(app, parent, "/notifications/email", {"email": "daily"}).status_code == 403


def test_the_list_shows_the_accounts_own_notifications_and_marks_them_read(app, world, staff, manager, parent, mailer,
                                                                           fake_faces, photo_bytes):
    upload(app, staff, photo_bytes)
    page = manager.get("/notifications").data.decode()
    assert "A new photo is waiting" in page and "New</span>" in page
    assert 'class="badge">1' not in manager.get("/notifications").data.decode()
    assert "A new photo is waiting" not in parent.get("/notifications").data.decode()


def test_without_a_mailer_notifications_stay_in_the_pages(app, world, staff, fake_faces, photo_bytes):
    assert gate_context(app).mailer() is None
    upload(app, staff, photo_bytes)
    assert len(notes_of(app, world.manager_id)) == 1


def test_the_managers_own_takedown_is_not_news_to_them_but_reaches_nobody_else(app, world, staff, manager, mailer,
                                                                                fake_faces, photo_bytes):
    item = upload(app, staff, photo_bytes)
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 0, "person_id": world.child_id})
    grant(app, world, world.child_id, world.guardian_id, world.website_id)
    post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": world.website_id})
    assert post(app, manager, f"/manager/queue/{item}/take-down", {"channel_id": world.website_id}).status_code == 302
    assert [kind for kind, *_ in notes_of(app, world.manager_id)] == ["item_waiting"]
