"""Channels from the Manager's pages, the parents' plain-English lines and confirm step, the family
gallery and the entrance display, each asking the gate again on every request."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consent_db import accounts, records
from consent_db.audit import CLI
from consent_db.consent import record_decision
from consent_db.models import AuditEvent, Channel, Decision, GivenBy, Method, Publication
from consent_db.timeutil import now
from gatekeeper.app.context import gate_context
from gatekeeper.app.drain import drain
from gatekeeper.database import transaction
from gatekeeper.publishers import KINDS
from gatekeeper.publishers.base import PublisherUnavailable
from gatekeeper.publishers.local_folder import LocalFolderPublisher
from tests.unit.gatekeeper.publishers.test_channel_kinds import TOKEN_KIND
from gatekeeper.web.services.passwords import hasher_for
from tests.web_world import PASSWORD, post, sign_in_directly


def upload(app, client, data: bytes):
    response = post(app, client, "/staff/upload", {"file": (io.BytesIO(data), "photo.jpg")},
                    headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def decide(app, world, person_id, channel_id, decision, guardian_id=None):
    """A decision written straight to the records: no outbox event, so no takedown job runs."""
    with transaction(app) as db:
        record_decision(db, setting_id=world.setting_id, person_id=person_id, purpose=channel_id, decision=decision,
                        given_by=GivenBy.GUARDIAN, guardian_id=guardian_id or world.guardian_id,
                        method=Method.PORTAL, at=now())


def add_channel(app, manager, slug, kind, **settings):
    data = {"name": slug.title(), "slug": slug, "description": f"The {slug}.", "kind": kind,
            **{f"{kind}__{k}": v for k, v in settings.items()}}
    response = post(app, manager, "/manager/channels", data)
    assert response.status_code == 302, response.data.decode()
    with transaction(app) as db:
        return db.scalars(select(Channel.id).where(Channel.slug == slug)).one()


def publish_to(app, world, manager, staff, photo_bytes, channel_id, person_id=None):
    item = upload(app, staff, photo_bytes)
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 0, "person_id": person_id or world.child_id})
    response = post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": channel_id})
    assert response.status_code == 302, response.data.decode()
    with transaction(app) as db:
        return db.scalars(select(Publication.object_name).where(Publication.channel_id == channel_id)
                          .order_by(Publication.id.desc())).first()


@pytest.fixture
def gallery_id(app, manager):
    return add_channel(app, manager, "gallery", "family_gallery")


@pytest.fixture
def display_id(app, manager):
    return add_channel(app, manager, "entrance", "display", seconds_per_picture="6")


@pytest.fixture
def token_kind(monkeypatch):
    monkeypatch.setitem(KINDS, TOKEN_KIND.name, TOKEN_KIND)
    return TOKEN_KIND


# --- the Manager's channel pages ------------------------------------------------------------------

def test_the_manager_adds_a_display_and_its_page_says_where_it_shows_and_that_it_comes_back(app, manager, display_id):
    page = manager.get(f"/manager/channels/{display_id}").data.decode()
    assert "Entrance display" in page and "seconds_per_picture: 6" in page
    assert "Can be taken back at any time" in page
    assert "0 items published here now." in page


def test_bad_settings_are_refused_and_change_nothing(app, manager, world, display_id):
    bad = post(app, manager, "/manager/channels", {"name": "S3", "slug": "bucket", "description": "d", "kind": "s3"})
    assert bad.status_code == 400 and "The s3 target needs bucket." in bad.data.decode()
    bad = post(app, manager, f"/manager/channels/{display_id}/target",
               {"kind": "display", "display__seconds_per_picture": "1"})
    assert bad.status_code == 400 and "between 3 and 600" in bad.data.decode()
    unknown = post(app, manager, f"/manager/channels/{display_id}/target", {"kind": "ftp"})
    assert unknown.status_code == 400 and "Unknown channel target kind &#39;ftp&#39;" in unknown.data.decode()
    size = post(app, manager, f"/manager/channels/{display_id}/size", {"rendition_side": "99999"})
    assert size.status_code == 400 and "320 to 4096" in size.data.decode()
    with transaction(app) as db:
        channel = db.get(Channel, display_id)
        assert channel.target == {"kind": "display", "seconds_per_picture": 6} and channel.rendition_side is None
        assert db.scalars(select(Channel).where(Channel.slug == "bucket")).first() is None
    assert manager.get("/manager/channels/9999").status_code == 404


def test_the_picture_size_is_set_from_the_channel_page(app, manager, world):
    assert post(app, manager, f"/manager/channels/{world.website_id}/size", {"rendition_side": "1024"}).status_code == 302
    with transaction(app) as db:
        assert db.get(Channel, world.website_id).rendition_side == 1024
    assert post(app, manager, f"/manager/channels/{world.website_id}/size", {"rendition_side": ""}).status_code == 302
    with transaction(app) as db:
        assert db.get(Channel, world.website_id).rendition_side is None


def test_a_secret_setting_is_never_shown_back_in_the_page_or_the_audit_log_and_empty_keeps_it(
        app, manager, world, token_kind):
    response = post(app, manager, f"/manager/channels/{world.newsletter_id}/target",
                    {"kind": "token_test", "token_test__site": "https://acorns.test",
                     "token_test__token": "very-secret-token"})
    assert response.status_code == 302
    page = manager.get(f"/manager/channels/{world.newsletter_id}").data.decode()
    assert "https://acorns.test" in page and "very-secret-token" not in page and "(set, hidden)" in page
    again = post(app, manager, f"/manager/channels/{world.newsletter_id}/target",
                 {"kind": "token_test", "token_test__site": "https://new.test", "token_test__token": ""})
    assert again.status_code == 302
    with transaction(app) as db:
        assert db.get(Channel, world.newsletter_id).target["token"] == "very-secret-token"
        details = [str(e.details) for e in db.scalars(select(AuditEvent))]
    assert not any("very-secret-token" in d for d in details)


def test_checking_a_channel_says_whether_it_can_be_published_to(app, manager, world, tmp_path):
    ok = post(app, manager, f"/manager/channels/{world.website_id}/check")
    assert ok.status_code == 200 and "The channel can be published to: local folder" in ok.data.decode()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    post(app, manager, f"/manager/channels/{world.website_id}/target",
         {"kind": "local", "local__path": str(blocker / "www")})
    bad = post(app, manager, f"/manager/channels/{world.website_id}/check")
    assert "cannot be published to now" in bad.data.decode() and "is not a folder" in bad.data.decode()


class DownPublisher(LocalFolderPublisher):
    """The website's folder, but its server is down for takedowns."""

    def _remove(self, object_name):
        raise PublisherUnavailable("the website is not answering; it can be retried")


def test_a_takedown_that_fails_is_shown_on_the_channel_page_and_retried_until_it_works(
        app, world, manager, staff, parent, fake_faces, photo_bytes):
    decide(app, world, world.child_id, world.website_id, Decision.GRANT)
    publish_to(app, world, manager, staff, photo_bytes, world.website_id)
    ctx = gate_context(app)
    real = ctx.publisher_factory
    ctx.publisher_factory = lambda target: DownPublisher(target["path"])
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "refuse"})
    page = manager.get(f"/manager/channels/{world.website_id}").data.decode()
    assert "1 published item is no longer allowed by consent" in page
    assert "the website is not answering" in page and "keeps trying" in page
    ctx.publisher_factory = real
    ctx.clock = lambda: now() + timedelta(hours=2)  # past the retry's backoff
    try:
        drain(ctx)
    finally:
        ctx.clock = now
    page = manager.get(f"/manager/channels/{world.website_id}").data.decode()
    assert "0 items published here now." in page and "keeps trying" not in page


# --- parents: the plain-English line and the confirm step ---------------------------------------

def test_the_parent_page_says_where_each_channel_shows_and_whether_a_copy_comes_back(parent, world, display_id):
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert "Shown on the screen in the setting&#39;s entrance" in page
    assert "Can be taken back at any time" in page
    assert "Can be taken back by deleting it" in page


def test_consent_for_a_channel_that_cannot_be_taken_back_is_confirmed_first(app, parent, world, consent_changes,
                                                                           token_kind):
    with transaction(app) as db:
        db.get(Channel, world.newsletter_id).target = {"kind": "token_test", "site": "https://x.test", "token": "t"}
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert "Cannot be taken back" in page
    asked = post(app, parent, f"/family/child/{world.child_id}/consent",
                 {"purpose": world.newsletter_id, "decision": "grant"})
    assert asked.status_code == 200 and "Before you allow" in asked.data.decode()
    assert 'name="confirmed" value="yes"' in asked.data.decode()
    assert consent_changes == []
    confirmed = post(app, parent, f"/family/child/{world.child_id}/consent",
                     {"purpose": world.newsletter_id, "decision": "grant", "confirmed": "yes"})
    assert confirmed.status_code == 302 and consent_changes[-1].allowed
    # Withdrawing never needs a confirmation, and a channel that comes back never asks.
    assert post(app, parent, f"/family/child/{world.child_id}/consent",
                {"purpose": world.newsletter_id, "decision": "refuse"}).status_code == 302
    assert post(app, parent, f"/family/child/{world.child_id}/consent",
                {"purpose": world.website_id, "decision": "grant"}).status_code == 302


# --- the family gallery ---------------------------------------------------------------------------

def test_a_parent_sees_and_downloads_their_childs_gallery_photo_and_a_withdrawal_hides_it_at_once(
        app, world, manager, staff, parent, fake_faces, photo_bytes, gallery_id):
    decide(app, world, world.child_id, gallery_id, Decision.GRANT)
    name = publish_to(app, world, manager, staff, photo_bytes, gallery_id)
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert f'data-id="{name}"' in page
    url = f"/family/child/{world.child_id}/gallery/{name}"
    shown = parent.get(url)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and shown.data[:2] == b"\xff\xd8"
    assert shown.headers["Cache-Control"] == "private, no-store"
    download = parent.get(url + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    decide(app, world, world.child_id, gallery_id, Decision.REFUSE)  # no takedown has run yet
    assert parent.get(url).status_code == 404
    assert f'data-id="{name}"' not in parent.get(f"/family/child/{world.child_id}").data.decode()


def test_parent_b_never_sees_an_item_of_only_parent_as_child(
        app, world, manager, staff, parent, other_parent, fake_faces, photo_bytes, gallery_id):
    decide(app, world, world.child_id, gallery_id, Decision.GRANT)
    name = publish_to(app, world, manager, staff, photo_bytes, gallery_id)
    assert other_parent.get(f"/family/child/{world.other_child_id}/gallery/{name}").status_code == 404
    assert other_parent.get(f"/family/child/{world.child_id}/gallery/{name}").status_code == 404
    page = other_parent.get(f"/family/child/{world.other_child_id}").data.decode()
    assert name not in page and "No photos of Bo are in the family gallery now." in page
    assert manager.get(f"/family/child/{world.child_id}/gallery/{name}").status_code == 403


def test_another_child_in_the_photo_must_consent_too_or_the_item_is_not_shown(
        app, world, manager, staff, parent, other_parent, photo_bytes, gallery_id):
    from gatekeeper.faces.plugins import FaceEngine
    from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

    engine = FaceEngine(FixedDetector([face_row(30, 30, 60, 60), face_row(150, 30, 60, 60)]),
                        VectorRecogniser({30.0: unit(1), 150.0: unit(2)}))
    gate_context(app).engine_factory = lambda _config: engine
    decide(app, world, world.child_id, gallery_id, Decision.GRANT)
    decide(app, world, world.other_child_id, gallery_id, Decision.GRANT, guardian_id=world.other_guardian_id)
    item = upload(app, staff, photo_bytes)
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 1, "person_id": world.other_child_id})
    assert post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": gallery_id}).status_code == 302
    with transaction(app) as db:
        name = db.scalars(select(Publication.object_name).where(Publication.channel_id == gallery_id)).one()
    # Both families see the photo of both children.
    assert parent.get(f"/family/child/{world.child_id}/gallery/{name}").status_code == 200
    assert other_parent.get(f"/family/child/{world.other_child_id}/gallery/{name}").status_code == 200
    # Bo's family withdraws: Ada's family no longer sees it either (the gallery never redacts per request).
    decide(app, world, world.other_child_id, gallery_id, Decision.REFUSE, guardian_id=world.other_guardian_id)
    assert parent.get(f"/family/child/{world.child_id}/gallery/{name}").status_code == 404
    assert name not in parent.get(f"/family/child/{world.child_id}").data.decode()


def test_a_guardian_without_parental_responsibility_sees_no_photos(
        app, world, manager, staff, fake_faces, photo_bytes, gallery_id):
    decide(app, world, world.child_id, gallery_id, Decision.GRANT)
    name = publish_to(app, world, manager, staff, photo_bytes, gallery_id)
    with transaction(app) as db:
        carer = records.add_guardian(db, setting_id=world.setting_id, name="Carl Carer", email="carl@family.test",
                                     child_id=world.child_id, parental_responsibility=False, actor=CLI)
        account = accounts.create_account(db, setting_id=world.setting_id, email="carl@family.test",
                                          password=PASSWORD, role="parent", guardian_id=carer.id,
                                          hasher=hasher_for(app.config))
    client = app.test_client()
    sign_in_directly(app, client, account.id)
    assert client.get(f"/family/child/{world.child_id}").status_code == 200
    assert name not in client.get(f"/family/child/{world.child_id}").data.decode()
    assert client.get(f"/family/child/{world.child_id}/gallery/{name}").status_code == 404


def test_an_item_published_elsewhere_is_not_in_the_gallery(
        app, world, manager, staff, parent, fake_faces, photo_bytes, gallery_id):
    decide(app, world, world.child_id, world.website_id, Decision.GRANT)
    decide(app, world, world.child_id, gallery_id, Decision.GRANT)
    name = publish_to(app, world, manager, staff, photo_bytes, world.website_id)
    assert parent.get(f"/family/child/{world.child_id}/gallery/{name}").status_code == 404
    assert "No photos of Ada are in the family gallery now." in parent.get(f"/family/child/{world.child_id}").data.decode()


# --- the entrance display -------------------------------------------------------------------------

def pair_display(app, manager, display_id):
    page = post(app, manager, "/manager/devices/display-code", {"channel": display_id}).data.decode()
    code = re.search(r'id="display-pairing-code">([A-Z0-9 ]+)<', page).group(1)
    screen = app.test_client()
    paired = post(app, screen, "/device/pair", {"code": code, "name": "Entrance screen"})
    assert paired.status_code == 302 and paired.headers["Location"].endswith("/display")
    return screen


def test_the_display_shows_what_the_gate_clears_now_and_a_withdrawal_clears_it_at_once(
        app, world, manager, staff, fake_faces, photo_bytes, display_id):
    decide(app, world, world.child_id, display_id, Decision.GRANT)
    name = publish_to(app, world, manager, staff, photo_bytes, display_id)
    screen = pair_display(app, manager, display_id)
    page = screen.get("/display")
    assert page.status_code == 200 and 'data-slide="6"' in page.data.decode()
    slides = screen.get("/display/slides.json").json["slides"]
    assert [s["id"] for s in slides] == [name]
    picture = screen.get(slides[0]["url"])
    assert picture.status_code == 200 and picture.data[:2] == b"\xff\xd8"
    assert picture.headers["Cache-Control"] == "no-store"
    decide(app, world, world.child_id, display_id, Decision.REFUSE)  # no takedown has run yet
    assert screen.get("/display/slides.json").json["slides"] == []
    assert screen.get(slides[0]["url"]).status_code == 404


def test_a_display_is_not_a_tablet_and_a_tablet_or_a_stranger_is_not_a_display(
        app, world, manager, staff, display_id):
    assert staff.get("/display").status_code == 404
    assert app.test_client().get("/display/slides.json").status_code == 404
    screen = pair_display(app, manager, display_id)
    # Staff signed in on the display's browser would not be on a registered tablet.
    with transaction(app) as db:
        from consent_db.models import Device

        device = db.scalars(select(Device).where(Device.name == "Entrance screen")).one()
        assert device.display_channel_id == display_id
    sign_in_directly(app, screen, world.staff_id)
    assert screen.get("/staff/upload").status_code in (302, 403)
    revoked = post(app, manager, f"/manager/devices/{device.id}/revoke")
    assert revoked.status_code == 302
    assert app.test_client().get("/display").status_code == 404


def test_a_display_code_is_only_issued_for_a_display_channel(app, manager, world):
    refused = post(app, manager, "/manager/devices/display-code", {"channel": world.website_id})
    assert refused.status_code == 400 and "is not an entrance display channel" in refused.data.decode()
    assert post(app, manager, "/manager/devices/display-code", {"channel": "999"}).status_code == 400


def test_the_managers_takedown_stops_the_display_serving_the_item(
        app, world, manager, staff, fake_faces, photo_bytes, display_id):
    decide(app, world, world.child_id, display_id, Decision.GRANT)
    name = publish_to(app, world, manager, staff, photo_bytes, display_id)
    screen = pair_display(app, manager, display_id)
    assert [s["id"] for s in screen.get("/display/slides.json").json["slides"]] == [name]
    assert "1 item published here now." in manager.get(f"/manager/channels/{display_id}").data.decode()
    with transaction(app) as db:
        from consent_db.models import MediaItem

        public_id = db.scalars(select(MediaItem.public_id)).one()
    assert post(app, manager, f"/manager/queue/{public_id}/take-down", {"channel_id": display_id}).status_code == 302
    assert screen.get("/display/slides.json").json["slides"] == []
    assert screen.get(f"/display/picture/{name}").status_code == 404
    assert "0 items published here now." in manager.get(f"/manager/channels/{display_id}").data.decode()
