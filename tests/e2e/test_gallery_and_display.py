"""In a real browser: a parent sees their child's photo in the family gallery while the entrance screen
shows it; the parent withdraws, and the photo leaves the gallery and the screen at once."""
from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from consent_db.consent import record_decision
from consent_db.models import Channel, Decision, GivenBy, Method, Publication
from consent_db.timeutil import now
from gatekeeper.app.context import gate_context
from gatekeeper.database import transaction
from gatekeeper.faces.plugins import FaceEngine
from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit
from tests.web_world import build_world, post, sign_in_directly
from tests.e2e.test_journeys import PHONE, shot, sign_in

SCREEN = {"viewport": {"width": 1280, "height": 720}}


def add_channel(app, manager, slug, name, kind):
    response = post(app, manager, "/manager/channels", {"name": name, "slug": slug, "kind": kind,
                                                         "description": f"{name} of the setting."})
    assert response.status_code == 302, response.data.decode()
    with transaction(app) as db:
        return db.scalars(select(Channel.id).where(Channel.slug == slug)).one()


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (240, 160), (90, 160, 90)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def test_a_withdrawal_takes_the_photo_off_the_gallery_and_the_entrance_screen_at_once(browser, live_app, artifacts):
    base, app = live_app.url, live_app.app
    world = build_world(app)
    # One face in every picture (fakes subclassing the real detector and recogniser): the test is about
    # serving and withdrawing, not recognition.
    engine = FaceEngine(FixedDetector([face_row(60, 30, 60, 60)]), VectorRecogniser({60.0: unit(1)}))
    gate_context(app).engine_factory = lambda _config: engine

    manager = app.test_client()
    sign_in_directly(app, manager, world.manager_id)
    staff = app.test_client()
    sign_in_directly(app, staff, world.staff_id, device_token=world.device_token)
    gallery_id = add_channel(app, manager, "gallery", "Family gallery", "family_gallery")
    display_id = add_channel(app, manager, "entrance", "Entrance screen", "display")
    with transaction(app) as db:
        for channel_id in (gallery_id, display_id):
            record_decision(db, setting_id=world.setting_id, person_id=world.child_id, purpose=channel_id,
                            decision=Decision.GRANT, given_by=GivenBy.GUARDIAN, guardian_id=world.guardian_id,
                            method=Method.PORTAL, at=now())
    uploaded = post(app, staff, "/staff/upload", {"file": (io.BytesIO(photo()), "photo.jpg")},
                    headers={"Accept": "application/json"}, content_type="multipart/form-data")
    item = uploaded.json["id"]
    post(app, manager, f"/manager/queue/{item}/identify", {"face_index": 0, "person_id": world.child_id})
    for channel_id in (gallery_id, display_id):
        assert post(app, manager, f"/manager/queue/{item}/approve", {"channel_id": channel_id}).status_code == 302
    with transaction(app) as db:
        names = set(db.scalars(select(Publication.object_name)))
    assert len(names) == 2
    code_page = post(app, manager, "/manager/devices/display-code", {"channel": display_id}).data.decode()
    code = re.search(r'id="display-pairing-code">([A-Z0-9 ]+)<', code_page).group(1).replace(" ", "")

    # The entrance screen is paired with the code and starts its slideshow.
    screen_context = browser.new_context(**SCREEN)
    screen = screen_context.new_page()
    screen.goto(f"{base}/device")
    screen.get_by_label("Pairing code").fill(code)
    screen.get_by_label("Name for this tablet").fill("Entrance screen")
    screen.get_by_role("button", name="Register this tablet").click()
    screen.wait_for_url(f"{base}/display")
    slide = screen.locator("img.display-slide")
    slide.wait_for(state="visible", timeout=10_000)
    screen.wait_for_function("() => document.querySelector('img.display-slide').naturalWidth > 0")
    assert slide.get_attribute("data-id") in names
    shot(screen, artifacts, "20-entrance-display")

    # The parent sees the photo in Ada's gallery, on a phone.
    phone_context = browser.new_context(**PHONE)
    phone = phone_context.new_page()
    sign_in(phone, base, world.parent_email)
    phone.get_by_role("link", name="Ada Lovelace").click()
    picture = phone.locator("#family-gallery img")
    picture.wait_for(state="visible")
    phone.wait_for_function("() => document.querySelector('#family-gallery img').naturalWidth > 0")
    assert "Can be taken back at any time" in phone.content()
    shot(phone, artifacts, "21-parent-family-gallery")
    gallery_src = picture.get_attribute("src")

    # The parent withdraws everything: the gallery is empty on the next page, the screen clears within a poll.
    phone.get_by_role("button", name="Withdraw all consent").click()
    assert "Every consent for your child is withdrawn" in phone.locator(".notice").first.inner_text()
    assert phone.locator("#family-gallery img").count() == 0
    assert "No photos of Ada are in the family gallery now." in phone.locator("#family-gallery").inner_text()
    assert phone.request.get(f"{base}{gallery_src}").status == 404
    screen.locator(".display-slide").wait_for(state="detached", timeout=10_000)
    expect(screen.locator("#empty")).to_be_visible()
    shot(screen, artifacts, "22-entrance-display-cleared")
    shot(phone, artifacts, "23-parent-gallery-after-withdrawal")
    screen_context.close()
    phone_context.close()
