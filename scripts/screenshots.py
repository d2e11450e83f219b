"""Screenshots of the Manager's and staff's pages for the README, on a phone and a desktop (scripts/screenshots).

Serves the app on a throw-away instance with the test setting (tests/web_world.py), a class list, three
uploads and a fake face engine, drives Debian's Chromium through it, and writes palette PNGs into
docs/screenshots/ (or the folder given). The pictures are plain colour fields, so no real face is shown.
"""
from __future__ import annotations

import argparse
import io
import logging
import re
import tempfile
from pathlib import Path

from PIL import Image

from consent_db import migrate
from consent_db.consent import record_decision
from consent_db.models import Decision, GivenBy, Method
from consent_db.timeutil import now
from gatekeeper import create_app
from gatekeeper.app.context import gate_context
from gatekeeper.database import session_factory, transaction
from gatekeeper.doctor import ensure_folders
from gatekeeper.instance import create_secrets
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer
from tests.e2e.test_accessibility_and_day_bugs import new_context, sign_in, staff_context
from tests.web_world import FAST_ARGON2, World, build_world, post, sign_in_directly

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("screenshots")
SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                   "has_touch": True},
         "desktop": {"viewport": {"width": 1366, "height": 900}}}
TALLEST = 1400  # CSS pixels kept from the top of a page: the point of it without the whole form below
CLASS_LIST = "\n".join([
    "First name,Surname,DOB,Room,Parent 1 name,Parent 1 email,Parent 1 PR",
    "Bo,Other,,Rainbow room,Olly Other,olly@other.test,yes",
    "Ada,Lovelace,14/03/2022,Rainbow room,Anne Lovelace,anne@family.test,yes",
    "Grace,Hopper,14/03/2022,Rainbow room,Mary Hopper,mary@hopper.test,yes",
    "Mary,Seacole,23/11/2021,Sunshine room,Edwin Seacole,edwin@seacole.test,yes",
    "Alan,Turing,02/06/2021,Sunshine room,Sara Turing,sara@turing.test,no",
]) + "\n"
COLOURS = ((186, 214, 234), (240, 214, 170), (200, 228, 190))


def serve(instance: Path) -> LiveServer:
    """The app on a fresh SQLite instance, on a free loopback port."""
    create_secrets(instance)
    app = create_app({"SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://", **FAST_ARGON2},
                     instance_dir=str(instance))
    migrate.upgrade(session_factory(app).kw["bind"])
    ensure_folders(app)
    return LiveServer(app)


def one_face_everywhere(app) -> None:
    """A fake engine (the tests' own) that finds one face at the same place in every picture."""
    from gatekeeper.faces.plugins import FaceEngine
    from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

    engine = FaceEngine(FixedDetector([face_row(300, 120, 110, 110)]), VectorRecogniser({300.0: unit(1)}))
    gate_context(app).engine_factory = lambda _config: engine


def picture(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 427), colour).save(out, format="JPEG", quality=85)
    return out.getvalue()


def set_the_scene(app) -> tuple[World, list[str]]:
    """The test setting, with Ada's website consent and three photos from the tablet, one published."""
    world = build_world(app)
    one_face_everywhere(app)
    with transaction(app) as db:
        record_decision(db, setting_id=world.setting_id, person_id=world.child_id, purpose=world.website_id,
                        decision=Decision.GRANT, given_by=GivenBy.GUARDIAN, guardian_id=world.guardian_id,
                        method=Method.PORTAL, at=now())
    staff, manager = app.test_client(), app.test_client()
    sign_in_directly(app, staff, world.staff_id, device_token=world.device_token)
    sign_in_directly(app, manager, world.manager_id)
    items = []
    for number, colour in enumerate(COLOURS):
        response = post(app, staff, "/staff/upload", {"file": (io.BytesIO(picture(colour)), f"photo{number}.jpg")},
                        headers={"Accept": "application/json"}, content_type="multipart/form-data")
        if response.status_code != 201:
            raise SystemExit(f"the upload was refused: {response.json}")
        items.append(response.json["id"])
    post(app, manager, f"/manager/queue/{items[0]}/identify", {"face_index": 0, "person_id": world.child_id})
    post(app, manager, f"/manager/queue/{items[0]}/approve", {"channel_id": world.website_id})
    return world, items


def save(page, folder: Path, name: str, *, from_top: bool = True) -> Path:
    """The top of the page (or the screen as scrolled) as a palette PNG: a few tens of KB, text still sharp."""
    page.wait_for_load_state("networkidle")
    if from_top:
        width, height = page.evaluate("() => [document.documentElement.clientWidth, "
                                      "document.documentElement.scrollHeight]")
        shot = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width,
                                                     "height": min(height, TALLEST)})
    else:
        shot = page.screenshot(full_page=False)
    raw = Image.open(io.BytesIO(shot))
    path = folder / f"{name}.png"
    raw.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    log.info("%s (%d KB)", path, path.stat().st_size // 1024)
    return path


def walk(browser, base: str, world: World, items: list[str], size: str, folder: Path) -> None:
    """Through the new pages as the Manager and the staff member would, saving each at this size."""
    viewport = SIZES[size]
    tablet = staff_context(browser, base, world, **viewport).new_page()
    sign_in(tablet, base, world.staff_email)
    tablet.goto(f"{base}/staff/consent")
    tablet.get_by_role("button", name="Give my consent for Our website").click()
    tablet.get_by_text("Thank you: your consent is recorded.").wait_for()
    save(tablet, folder, f"staff-consent-{size}")

    manager = new_context(browser, **viewport).new_page()
    sign_in(manager, base, world.manager_email, world.totp_secret)
    manager.goto(f"{base}/notifications")
    save(manager, folder, f"notifications-{size}")
    manager.goto(f"{base}/manager/queue/{items[1]}")
    manager.get_by_role("button", name="Reject and delete").click()
    manager.get_by_text("Rejected: it was taken off every channel and deleted.").wait_for()
    tablet.goto(f"{base}/staff/uploads")
    save(tablet, folder, f"my-uploads-{size}")
    tablet.context.close()

    manager.goto(f"{base}/manager/queue/{items[2]}")
    manager.locator("#item-picture .facebox").first.wait_for(state="visible")
    manager.get_by_label("Who is face 1?").scroll_into_view_if_needed()
    save(manager, folder, f"face-picker-{size}", from_top=size == "desktop")
    manager.goto(f"{base}/manager/queue?uploader={world.staff_id}")
    save(manager, folder, f"queue-filters-{size}")

    manager.goto(f"{base}/manager/people")
    manager.get_by_label("CSV file").set_input_files(files=[{
        "name": "class-list.csv", "mimeType": "text/csv", "buffer": CLASS_LIST.encode("utf-8")}])
    manager.get_by_role("button", name="Preview the import").click()
    manager.locator("#import-summary").wait_for()
    save(manager, folder, f"class-list-preview-{size}")
    manager.get_by_role("button", name=re.compile(r"^Import \d+ new")).click()
    manager.get_by_text("Class list imported").wait_for()
    manager.goto(f"{base}/manager/people")
    save(manager, folder, f"people-consent-badges-{size}")
    manager.goto(f"{base}/manager/audit")
    save(manager, folder, f"audit-log-{size}")
    manager.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="where the PNGs go (default: docs/screenshots)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)  # the files written; not a line per request or job
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if not CHROMIUM.exists():
        raise SystemExit(f"Chromium is not installed at {CHROMIUM} (apt install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # One setting per size, so each set shows the same moment of the day.
        for size in SIZES:
            server = serve(Path(scratch) / size)
            try:
                world, items = set_the_scene(server.app)
                walk(browser, server.url, world, items, size, args.out)
            finally:
                server.stop()
                session_factory(server.app).kw["bind"].dispose()
        browser.close()


if __name__ == "__main__":
    main()
