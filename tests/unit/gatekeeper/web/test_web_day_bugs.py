"""What a new Manager, a practitioner and a parent found wrong in a day's use (issue 16), each shown fixed."""
from __future__ import annotations

import html
import io
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from consent_db import records
from consent_db.audit import CLI
from consent_db.consent import record_decision
from consent_db.models import Decision, GivenBy, MediaFace, MediaItem, Method, SessionStage
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.services.qr import qr_svg
from tests.web_world import post, sign_in_directly


def upload(app, client, data: bytes, name="photo.jpg"):
    return post(app, client, "/staff/upload", {"file": (io.BytesIO(data), name)},
                headers={"Accept": "application/json"}, content_type="multipart/form-data")


def grant(app, world, channel_id, child_id=None, guardian_id=None):
    with transaction(app) as db:
        record_decision(db, setting_id=world.setting_id, person_id=child_id or world.child_id, purpose=channel_id,
                        decision=Decision.GRANT, given_by=GivenBy.GUARDIAN,
                        guardian_id=guardian_id or world.guardian_id, method=Method.PORTAL, at=now())


@pytest.fixture
def two_faces(app):
    """An engine that finds two faces, side by side, in every picture (fakes subclassing the real bases)."""
    from gatekeeper.app.context import gate_context
    from gatekeeper.faces.plugins import FaceEngine
    from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

    engine = FaceEngine(FixedDetector([face_row(20, 40, 60, 60), face_row(150, 40, 60, 60)]),
                        VectorRecogniser({20.0: unit(1), 150.0: unit(2)}))
    gate_context(app).engine_factory = lambda _config: engine
    return engine


@pytest.fixture
def edge_face(app):
    """An engine whose one face runs past the right and bottom edges of the 240x160 picture."""
    from gatekeeper.app.context import gate_context
    from gatekeeper.faces.plugins import FaceEngine
    from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

    engine = FaceEngine(FixedDetector([face_row(200, 120, 70, 70)]), VectorRecogniser({200.0: unit(1)}))
    gate_context(app).engine_factory = lambda _config: engine
    return engine


def faces_of(app, public_id: str) -> list[MediaFace]:
    with transaction(app) as db:
        item = db.scalars(select(MediaItem).where(MediaItem.public_id == public_id)).one()
        return sorted(db.scalars(select(MediaFace).where(MediaFace.item_id == item.id)), key=lambda f: f.index)


# Covering one face erased the Manager's identification of the others.

def test_covering_one_face_keeps_the_managers_identification_of_the_other(app, world, manager, staff, two_faces,
                                                                          photo_bytes):
    item_id = upload(app, staff, photo_bytes).json["id"]
    assert post(app, manager, f"/manager/queue/{item_id}/identify",
                {"face_index": 0, "person_id": world.other_child_id}).status_code == 302
    assert post(app, manager, f"/manager/queue/{item_id}/identify",
                {"face_index": 1, "person_id": world.child_id}).status_code == 302
    assert post(app, manager, f"/manager/queue/{item_id}/redact", {"face_index": 0}).status_code == 302
    by_place = {f.x: f for f in faces_of(app, item_id)}
    assert by_place[150].manager_person_id == world.child_id, "the face not covered is still Ada"
    assert by_place[150].marked_by_account_id == world.manager_id
    # This fake finds the covered face again; what the Manager said of it must not come back.
    assert by_place[20].manager_person_id is None
    assert "Face 2: Ada Lovelace" in manager.get(f"/manager/queue/{item_id}").data.decode()


# Form attributes were escaped into the page (inputmode="&quot;numeric&quot;").

def test_form_attributes_reach_the_page_as_attributes(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP_SETUP)
    page = client.get("/signin/two-factor/setup").data.decode()
    assert 'inputmode="numeric"' in page and 'pattern="[0-9 ]{6,7}"' in page
    assert 'autocomplete="one-time-code"' in page
    assert "&quot;" not in page.split('id="f-code"')[1].split(">")[0]
    pair = app.test_client().get("/device").data.decode()
    assert 'autocapitalize="characters"' in pair and 'spellcheck="false"' in pair and 'autocomplete="off"' in pair
    assert 'maxlength="100"' in pair


def test_a_bare_attribute_is_written_bare(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP)
    field = client.get("/signin/two-factor").data.decode().split('id="f-code"')[1].split(">")[0]
    assert re.search(r"\sautofocus(\s|$)", field) and 'maxlength="64"' in field


# Two-factor set-up had no QR code.

def test_two_factor_setup_draws_the_key_as_a_qr_code_beside_the_key_as_text(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP_SETUP)
    page = client.get("/signin/two-factor/setup").data.decode()
    uri = html.unescape(re.search(r'<p class="mono wrap">([^<]+)</p>', page).group(1))
    assert uri.startswith("otpauth://totp/") and "secret=" in uri
    assert str(qr_svg(uri, title="QR code of the two-factor key for your authenticator app")) in page
    key = re.search(r'id="totp-key">([^<]+)<', page).group(1)
    assert key.replace(" ", "") in uri


# After sign-out in another tab, an upload said "Something went wrong (200)".

def test_an_upload_after_signing_out_elsewhere_gets_a_401_that_says_so(app, world, staff, photo_bytes, fake_faces):
    other_tab = staff  # the same browser: one cookie jar
    assert post(app, other_tab, "/signout").status_code == 302
    response = upload(app, staff, photo_bytes)
    assert response.status_code == 401
    assert response.json["signed_out"] is True and "signed out" in response.json["message"]
    assert response.json["signin"] == "/signin"


def test_a_signed_out_json_request_is_answered_401_even_with_a_valid_csrf_token(app, world, photo_bytes):
    client = app.test_client()
    response = upload(app, client, photo_bytes)
    assert response.status_code == 401 and response.json["signed_out"] is True


def test_the_upload_script_recognises_the_sign_in_page_and_says_sign_in_again(staff):
    page = staff.get("/staff/upload").data.decode()
    assert 'data-signin="/signin?next=/staff/upload"' in page
    script = (staff.application.static_folder + "/upload.js")
    with open(script, encoding="utf-8") as fh:
        text = fh.read()
    assert "You were signed out — sign in again" in text and "responseURL" in text


# A published item still said "waiting for the Manager" and sat under "Ready to approve".

@pytest.fixture
def published_item(app, world, manager, staff, fake_faces, photo_bytes) -> str:
    item_id = upload(app, staff, photo_bytes).json["id"]
    grant(app, world, world.website_id)
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    assert post(app, manager, f"/manager/queue/{item_id}/approve", {"channel_id": world.website_id}).status_code == 302
    return item_id


def test_a_published_item_says_where_it_is_published_and_leaves_ready_to_approve(manager, published_item):
    page = manager.get(f"/manager/queue/{published_item}").data.decode()
    state = re.search(r'id="item-state">([^<]+)<', page).group(1)
    assert state == "published on Our website"
    assert "waiting for the Manager" not in page
    assert "Approve for" not in page and 'id="nothing-to-approve"' in page
    assert published_item not in manager.get("/manager/queue?state=ready").data.decode()
    listing = manager.get("/manager/queue").data.decode()
    assert published_item in listing and "published on Our website</span>" in listing


def test_an_item_ready_for_a_channel_still_offers_it(app, world, manager, staff, fake_faces, photo_bytes):
    item_id = upload(app, staff, photo_bytes).json["id"]
    grant(app, world, world.website_id)
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    page = manager.get(f"/manager/queue/{item_id}").data.decode()
    assert "Approve for" in page and "waiting for the Manager" in page
    assert item_id in manager.get("/manager/queue?state=ready").data.decode()


# People saw internal ids ("withdrawn by guardian 1").

def test_consent_reasons_name_the_parent_not_their_record_number(app, world, manager, parent):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "refuse"})
    person = manager.get(f"/manager/people/{world.child_id}").data.decode()
    assert "withdrawn by Anne Lovelace on " in person
    assert f"guardian {world.guardian_id}" not in person
    family = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert "withdrawn by Anne Lovelace" in family and f"guardian {world.guardian_id}" not in family


def test_a_refused_paper_form_names_the_child_and_parent_not_their_ids(app, world, manager):
    with transaction(app) as db:
        stranger = records.add_guardian(db, setting_id=world.setting_id, name="Sid Stranger",
                                        email="sid@other.test", child_id=world.other_child_id, actor=CLI)
    response = post(app, manager, f"/manager/people/{world.child_id}/paper-form",
                    {"purpose": world.website_id, "decision": "grant", "guardian_id": stranger.id,
                     "evidence": "Folder A p3"})
    error = re.search(r'id="form-error">([^<]+)<', response.data.decode()).group(1)
    assert response.status_code == 400
    assert error == "Sid Stranger is not a guardian of Ada Lovelace."


# A hint said "nobody is enrolled" after a manual identification.

def test_after_identifying_a_face_its_hint_says_who_decides_not_that_nobody_is_enrolled(app, world, manager, staff,
                                                                                       fake_faces, photo_bytes):
    item_id = upload(app, staff, photo_bytes).json["id"]
    before = manager.get(f"/manager/queue/{item_id}").data.decode()
    assert "nobody is enrolled" in before.split('id="face-list"')[1]
    post(app, manager, f"/manager/queue/{item_id}/identify", {"face_index": 0, "person_id": world.child_id})
    faces = manager.get(f"/manager/queue/{item_id}").data.decode().split('id="face-list"')[1].split("</ol>")[0]
    assert "nobody is enrolled" not in faces
    assert "Identified by you" in faces


# Face boxes were drawn past the picture's edge.

def test_a_face_box_past_the_edge_is_drawn_inside_the_picture(app, manager, staff, edge_face, photo_bytes):
    item_id = upload(app, staff, photo_bytes).json["id"]
    page = manager.get(f"/manager/queue/{item_id}").data.decode()
    box = re.search(r'data-x="(\d+)" data-y="(\d+)" data-w="(\d+)" data-h="(\d+)"\s+data-width="(\d+)" '
                    r'data-height="(\d+)"', page)
    x, y, w, h, width, height = map(int, box.groups())
    assert (width, height) == (240, 160)
    assert (x, y, w, h) == (200, 120, 40, 40)


# "slug" in an error for a field labelled "Short name".

@pytest.mark.parametrize("slug, words", [
    ("Bad Slug", "short name 'Bad Slug' must be lower-case"),
    ("website", "short name 'website' already exists"),
    ("face-matching", "short name 'face-matching' is reserved"),
])
def test_a_channel_error_speaks_of_the_short_name_as_the_form_labels_it(app, manager, slug, words):
    response = post(app, manager, "/manager/channels", {"slug": slug, "name": "x", "description": "y"})
    error = html.unescape(re.search(r'id="form-error">([^<]+)<', response.data.decode()).group(1))
    assert response.status_code == 400 and words in error and "slug" not in error.replace(slug, "").lower()
    assert "(id " not in error


# Recording a paper form for a child with no guardian did nothing visible.

def test_a_child_without_a_parent_says_to_link_one_before_a_paper_form(app, world, manager):
    with transaction(app) as db:
        orphan = records.add_person(db, records.check_person(kind="child", first_name="Cy", surname="Solo"),
                                    setting_id=world.setting_id, actor=CLI)
    page = manager.get(f"/manager/people/{orphan.id}").data.decode()
    section = page.split('id="paper-heading"')[1].split("</section>")[0]
    assert "none is linked yet" in section and "Record the form" not in section
    response = post(app, manager, f"/manager/people/{orphan.id}/paper-form",
                    {"purpose": world.website_id, "decision": "grant", "evidence": "Folder A p3"})
    error = re.search(r'id="form-error">([^<]+)<', response.data.decode()).group(1)
    assert response.status_code == 400
    assert "Cy Solo" in error and "parental responsibility" in error and str(orphan.id) not in error


# Dates were shown as ISO; they are en-GB, on the London clock.

def test_dates_on_the_pages_are_british(app, world, manager, parent):
    with transaction(app) as db:
        records.set_leaving_date(db, world.child_id, datetime(2027, 7, 16).date(), setting_id=world.setting_id,
                                 actor=CLI)
    people = manager.get("/manager/people").data.decode()
    assert "16 July 2027" in people and "2027-07-16" not in people
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    family = parent.get(f"/family/child/{world.child_id}").data.decode()
    assert re.search(r"\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|"
                     r"December) \d{4} at \d\d:\d\d", family)
    shown = re.sub(r'datetime="[^"]*"', "", family.split('id="history-heading"')[1])  # machine-readable stays ISO
    assert not re.search(r"\d{4}-\d\d-\d\d", shown)


def test_the_date_filters_read_iso_text_too(app):
    from gatekeeper.web.dates import FILTERS

    assert FILTERS["date_time"]("2022-03-14T09:30:00+00:00") == "14/03/2022 09:30"
    assert FILTERS["long_date"](datetime(2022, 6, 30, 23, 30, tzinfo=timezone.utc)) == "1 July 2022"
    assert FILTERS["date_time"]("") == FILTERS["long_date"](None) == ""


def test_no_page_formats_a_moment_itself():
    # strftime on a stored moment prints UTC: an hour out all summer. Pages use the London filters.
    from pathlib import Path

    import gatekeeper

    templates = Path(gatekeeper.__file__).parent / "templates"
    found = [f"{path.relative_to(templates)}:{number}" for path in sorted(templates.rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if ".strftime(" in line]
    assert found == []


# The parent's switch was named after the channel while it showed "Yes — tap to withdraw".

def test_the_consent_switch_is_named_by_the_words_it_shows(app, world, parent):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": world.website_id, "decision": "grant"})
    page = parent.get(f"/family/child/{world.child_id}").data.decode()
    button = re.search(r'<button[^>]*role="switch"[^>]*aria-labelledby="([^"]+)"[^>]*>(.*?)</button>', page, re.S)
    ids = button.group(1).split()
    named = " ".join(re.search(rf'id="{i}"[^>]*>([^<]+)<', page).group(1) for i in ids)
    assert named == "Our website Yes — tap to withdraw"


# The audit's finding: a table that scrolls sideways could not be reached by keyboard.

def test_every_table_that_may_scroll_is_a_named_region_the_keyboard_reaches():
    from pathlib import Path

    import gatekeeper

    folder = Path(gatekeeper.__file__).parent / "templates"
    wrappers = [(path.name, tag) for path in folder.rglob("*.html")
                for tag in re.findall(r'<div class="table-wrap"[^>]*>', path.read_text(encoding="utf-8"))]
    assert len(wrappers) >= 7
    for name, tag in wrappers:
        assert 'tabindex="0"' in tag and 'role="region"' in tag and "aria-label" in tag, (name, tag)
