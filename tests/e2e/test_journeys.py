"""The journeys of the issue in a real browser: pair a tablet, upload as staff with progress bars, decide as
the Manager with face boxes, publish, then withdraw as a parent on a phone and see the item taken down."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyotp
import pytest
from PIL import Image
from playwright.sync_api import expect

from consent_db.consent import record_decision
from consent_db.models import Decision, GivenBy, Method
from consent_db.timeutil import now
from gatekeeper.database import transaction
from tests.web_world import PASSWORD, build_world

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def clip_from(photo: Path, out: Path, frames: int = 24) -> Path:
    """A short H.264 clip of a still photo (so its faces appear in every frame)."""
    import av

    picture = Image.open(photo).convert("RGB")
    picture = picture.resize((picture.width // 2 * 2, picture.height // 2 * 2))
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = picture.width, picture.height, "yuv420p"
        array = np.asarray(picture)
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out


def published(app, slug="website") -> list[Path]:
    folder = Path(app.config["CHANNELS_DIR"]) / slug
    return [p for p in folder.glob("*") if not p.name.startswith(".")] if folder.exists() else []


# Copies meant for the README blur every picture, so no real face from the corpus leaves the test run.
# Through the CSSOM: the page's Content-Security-Policy rightly blocks Playwright's injected <style>.
BLUR = "on => document.querySelectorAll('main img').forEach(img => { img.style.filter = on ? 'blur(16px)' : ''; })"


def shot(page, artifacts: Path, name: str, *, for_readme: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    if for_readme:
        (artifacts / "readme").mkdir(exist_ok=True)
        page.evaluate(BLUR, True)
        page.screenshot(path=str(artifacts / "readme" / f"{name}.png"), full_page=False)
        page.evaluate(BLUR, False)


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def world(live_app):
    made = build_world(live_app.app)
    with transaction(live_app.app) as db:
        record_decision(db, setting_id=made.setting_id, person_id=made.child_id, purpose=made.website_id,
                        decision=Decision.GRANT, given_by=GivenBy.GUARDIAN, guardian_id=made.guardian_id,
                        method=Method.PORTAL, at=now())
    return made


def test_pair_upload_decide_publish_and_withdraw(browser, live_app, world, faces_dir, artifacts, tmp_path):
    base, app = live_app.url, live_app.app
    photo = faces_dir / "identities" / "barack_obama" / "fr_obama.jpg"
    video = clip_from(photo, tmp_path / "class-trip.mp4")

    # The Manager signs in with a password and a two-factor code, and shows a pairing code.
    office = browser.new_context(**DESKTOP)
    manager = office.new_page()
    sign_in(manager, base, world.manager_email)
    manager.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(world.totp_secret).now())
    manager.get_by_role("button", name="Sign in").click()
    manager.get_by_role("link", name="Tablets").click()
    manager.get_by_role("button", name="Pair a tablet").click()
    code = manager.locator("#pairing-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    shot(manager, artifacts, "01-manager-pairing-code")

    # A staff login on an unregistered device is refused in plain words.
    stranger = browser.new_context(**TABLET).new_page()
    sign_in(stranger, base, world.staff_email)
    assert "registered tablets" in stranger.locator("#form-error").inner_text()
    shot(stranger, artifacts, "02-staff-refused-on-unregistered-device")

    # The tablet is paired with the code, then staff sign in and upload a photo and a video.
    tablet_context = browser.new_context(**TABLET)
    tablet = tablet_context.new_page()
    tablet.goto(f"{base}/device")
    tablet.get_by_label("Pairing code").fill(code.lower())
    tablet.get_by_label("Name for this tablet").fill("Rainbow room tablet 2")
    tablet.get_by_role("button", name="Register this tablet").click()
    expect(tablet.locator("body")).to_contain_text("Rainbow room tablet 2")
    cookie = [c for c in tablet_context.cookies() if c["name"] == "gk_device"][0]
    assert cookie["httpOnly"] and cookie["expires"] > 0
    sign_in(tablet, base, world.staff_email)
    tablet.wait_for_url(f"{base}/staff/upload")
    cdp = tablet_context.new_cdp_session(tablet)
    cdp.send("Network.enable")
    # Slow the upload down (about 2 Mbit/s) so the progress bars are seen moving.
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 256 * 1024})
    tablet.locator("#library").set_input_files([str(photo), str(video)])
    tablet.wait_for_function("() => [...document.querySelectorAll('#upload-list progress')]"
                             ".some(bar => bar.value > 0 && bar.value < 100)", timeout=20_000)
    shot(tablet, artifacts, "03-staff-upload-progress", for_readme=True)
    tablet.locator("#upload-list .state-received").nth(1).wait_for(timeout=60_000)
    assert tablet.locator("#upload-list .state-received").count() == 2
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    shot(tablet, artifacts, "04-staff-upload-received")
    tablet.get_by_role("link", name="My uploads").first.click()
    statuses = tablet.locator(".upload-status").all_inner_texts()
    assert len(statuses) == 2 and all("manager" in s.lower() for s in statuses)
    shot(tablet, artifacts, "05-staff-my-uploads")

    # The Manager sees the queue, the face boxes, identifies the child and approves the photo.
    manager.get_by_role("link", name="Queue", exact=True).click()
    shot(manager, artifacts, "06-manager-queue", for_readme=True)
    manager.locator("a:has(img)").nth(1).click()  # the oldest item: the photo
    box = manager.locator(".facebox").first
    box.wait_for(state="visible")
    assert box.bounding_box()["width"] > 20
    assert "unknown" in box.inner_text()
    shot(manager, artifacts, "07-manager-item-face-boxes", for_readme=True)
    picker = manager.get_by_label("Who is face 1?")
    # The picker says whose consent is missing where ("— no consent for Newsletter"), after the name.
    ada = picker.locator("option", has_text="Ada Lovelace (child)")
    assert "no consent for Newsletter" in ada.inner_text()
    picker.select_option(value=ada.get_attribute("value"))
    manager.get_by_role("button", name="Identify").first.click()
    assert "Face 1: Ada Lovelace" in manager.locator("#face-list").inner_text()
    manager.get_by_label("Our website").check()
    manager.get_by_role("button", name="Approve").click()
    assert "published" in manager.locator("#channel-table").inner_text()
    assert len(published(app)) == 1
    shot(manager, artifacts, "08-manager-item-published")
    item_url = manager.url

    # The video shows a frame of every face it follows, with when that face was seen.
    manager.get_by_role("link", name="Queue", exact=True).click()
    manager.locator("a:has(img)").first.click()
    expect(manager.locator("body")).to_contain_text("Every face in the video")
    assert " · seen " in manager.locator(".frames figcaption").first.inner_text()
    manager.locator(".frames img").first.wait_for()
    shot(manager, artifacts, "09-manager-video-frames")

    # A parent on a phone withdraws consent for the website; the photo is taken down at once.
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, base, world.parent_email)
    phone.get_by_role("link", name="Ada Lovelace").click()
    switch = phone.get_by_role("switch", name="Our website")
    assert switch.get_attribute("aria-checked") == "true"
    shot(phone, artifacts, "10-parent-phone-consent", for_readme=True)
    switch.click()
    assert "being taken down now" in phone.locator(".notice").first.inner_text()
    assert phone.get_by_role("switch", name="Our website").get_attribute("aria-checked") == "false"
    shot(phone, artifacts, "11-parent-phone-withdrawn")
    assert published(app) == []

    manager.goto(item_url)
    assert "published" not in manager.locator("#channel-table").inner_text()
    assert "Held" in manager.locator("#channel-table").inner_text()
    shot(manager, artifacts, "12-manager-item-taken-down")
    office.close()
    tablet_context.close()


def test_keyboard_users_reach_every_control_with_visible_focus(browser, live_app, world, artifacts):
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{live_app.url}/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the main content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-email"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.type(world.parent_email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_app.url}/family")
    shot(page, artifacts, "13-parent-phone-family")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_app.url}/family/child/{world.child_id}")
    assert errors == []  # no CSP violations, no script errors
