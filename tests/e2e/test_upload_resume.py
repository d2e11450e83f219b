"""The upload page in a real browser on flaky Wi-Fi: a file goes up in chunks, a chunk lost on the way is
sent again, and a signed-out tablet is told so in plain words."""
from __future__ import annotations

import io
import struct

import pytest
from PIL import Image
from sqlalchemy import delete, select

from consent_db.models import MediaItem, WebSession
from gatekeeper.database import session_factory, transaction
from tests.web_world import PASSWORD, build_world

# Markup, TLS and the network: the same on either database (see tests/conftest.py).
pytestmark = pytest.mark.once

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
CHUNK = 32 * 1024


def photo(tmp_path, size: int = 5 * CHUNK):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(out, format="JPEG")
    body = b"padding " * 8000
    segment = b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body
    data = out.getvalue()
    data = data[:2] + segment * (size // len(segment) + 1) + data[2:]
    path = tmp_path / "outside-play.jpg"
    path.write_bytes(data)
    return path


@pytest.fixture
def tablet(browser, live_app):
    world = build_world(live_app.app)
    live_app.app.config["UPLOAD_CHUNK_BYTES"] = CHUNK
    context = browser.new_context(**TABLET)
    context.add_cookies([{"name": "gk_device", "value": world.device_token, "url": live_app.url}])
    page = context.new_page()
    page.goto(f"{live_app.url}/signin")
    page.get_by_label("Email").fill(world.staff_email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_app.url}/staff/upload")
    yield page
    context.close()


def items(app) -> list[MediaItem]:
    with session_factory(app)() as session:
        return list(session.scalars(select(MediaItem)))


def test_a_chunk_lost_on_flaky_wifi_is_sent_again_and_the_photo_is_received(tablet, live_app, tmp_path):
    lost = []

    def drop_the_third_chunk_once(route):
        if "/chunks/2" in route.request.url and not lost:
            lost.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    tablet.route("**/staff/upload/*/chunks/*", drop_the_third_chunk_once)
    tablet.locator("#library").set_input_files(str(photo(tmp_path)))
    tablet.locator("#upload-list .state-received").wait_for(timeout=90_000)
    assert lost, "the third chunk was dropped once"
    assert "Received." in tablet.locator("#upload-list").inner_text()
    assert tablet.locator("#upload-list").get_attribute("aria-live") == "polite"
    assert len(items(live_app.app)) == 1


def test_a_tablet_signed_out_meanwhile_is_told_to_sign_in_again(tablet, live_app, tmp_path):
    # The session ends on the server (idle timeout, the Manager revoked the tablet): the page still shows.
    with transaction(live_app.app) as db:
        db.execute(delete(WebSession))
    tablet.locator("#library").set_input_files(str(photo(tmp_path, CHUNK)))
    tablet.locator("#upload-list .state-refused").wait_for(timeout=60_000)
    assert "You were signed out — sign in again" in tablet.locator("#upload-list").inner_text()
    assert items(live_app.app) == []
