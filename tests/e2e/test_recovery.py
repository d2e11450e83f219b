"""Ways back in, in a real browser: a parent resets a forgotten password by an emailed link (a real SMTP
server on loopback), a Manager who lost the phone signs in with a recovery code and sets two-factor up
again, and a parent whose password the Manager reset signs in once with it and chooses their own."""
from __future__ import annotations

import re
import socket
import threading
import time
from email import message_from_bytes, policy

import pyotp
import pytest
from playwright.sync_api import expect

from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.services import two_factor
from tests.e2e.conftest import LiveServer
from tests.web_world import FAST_ARGON2, PASSWORD, build_world

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
NEW_PASSWORD = "plum orchard kettle lantern"


class Inbox:
    """What the SMTP server on loopback received, as parsed messages."""

    def __init__(self):
        self.messages = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 20):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.messages) >= count, timeout), "no email arrived"
        return self.messages[count - 1]


@pytest.fixture
def inbox():
    controller_module = pytest.importorskip("aiosmtpd.controller", reason="aiosmtpd is a test extra")
    received = Inbox()
    # The controller checks its server by connecting to the port it was given, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        received.port = probe.getsockname()[1]
    controller = controller_module.Controller(received, hostname="127.0.0.1", port=received.port)
    controller.start()
    yield received
    controller.stop()


@pytest.fixture
def mailing_app(instance_dir, inbox):
    """The app with SMTP pointing at the inbox and PUBLIC_URL at its own address."""
    from consent_db import migrate
    from gatekeeper import create_app
    from gatekeeper.database import session_factory
    from gatekeeper.doctor import ensure_folders

    app = create_app({"SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://", "SMTP_HOST": "127.0.0.1",
                      "SMTP_PORT": inbox.port, "SMTP_STARTTLS": False, "SMTP_FROM": "office@acorns.test",
                      **FAST_ARGON2}, instance_dir=str(instance_dir))
    migrate.upgrade(session_factory(app).kw["bind"])
    ensure_folders(app)
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.stop()
    session_factory(app).kw["bind"].dispose()


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_parent_resets_a_forgotten_password_by_the_emailed_link(browser, mailing_app, inbox):
    base = mailing_app.url
    world = build_world(mailing_app.app)
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/signin")
    page.get_by_role("link", name="Forgotten your password?").click()
    page.get_by_label("Email").fill(world.parent_email.upper())
    page.get_by_role("button", name="Send me a link").click()
    message = inbox.wait_for(1)
    assert message["To"] == world.parent_email
    link = re.search(r"https?://\S+", message.get_body(("plain",)).get_content()).group(0)
    assert link.startswith(base)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    sign_in(page, base, world.parent_email, PASSWORD)
    expect(page.get_by_text("The email or password is not right.")).to_be_visible()
    sign_in(page, base, world.parent_email, NEW_PASSWORD)
    page.wait_for_url(f"{base}/family")
    # The link worked once: opened again it says so.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()


def test_a_manager_who_lost_the_phone_gets_back_in_with_a_recovery_code(browser, mailing_app):
    base, app = mailing_app.url, mailing_app.app
    world = build_world(app)
    with transaction(app) as db:
        from consent_db.models import Account
        codes = two_factor.new_recovery_codes(db, db.get(Account, world.manager_id), at=now())
    page = browser.new_context().new_page()
    sign_in(page, base, world.manager_email, PASSWORD)
    page.get_by_label("Code from your authenticator app (or a recovery code)").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You signed in with a recovery code; 9 are left.")).to_be_visible()
    page.goto(f"{base}/account/two-factor")
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Set up two-factor again").click()
    secret = "".join(page.locator("#totp-key").inner_text().split())
    assert secret != world.totp_secret
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    fresh = page.locator("#recovery-codes li").all_inner_texts()
    assert len(fresh) == 10 and codes[1] not in fresh
    page.get_by_role("link", name="I have kept them: continue").click()

    # The old phone's codes and the old recovery codes no longer work; the new phone's do.
    other = browser.new_context().new_page()
    sign_in(other, base, world.manager_email, PASSWORD)
    other.get_by_label("Code from your authenticator app (or a recovery code)").fill(codes[1])
    other.get_by_role("button", name="Sign in").click()
    assert other.url.endswith("/signin/two-factor")
    other.get_by_label("Code from your authenticator app (or a recovery code)").fill(
        pyotp.TOTP(world.totp_secret).now())
    other.get_by_role("button", name="Sign in").click()
    assert other.url.endswith("/signin/two-factor")
    # The set-up code is used up; the app's next code signs in.
    other.get_by_label("Code from your authenticator app (or a recovery code)").fill(
        pyotp.TOTP(secret).at(time.time() + 30))
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(re.compile(r".*/manager.*"))


def test_a_parent_signs_in_once_with_the_password_the_manager_reset_then_chooses_their_own(browser, mailing_app,
                                                                                             inbox):
    base, app = mailing_app.url, mailing_app.app
    world = build_world(app)
    manager = browser.new_context().new_page()
    sign_in(manager, base, world.manager_email, PASSWORD)
    manager.get_by_label("Code from your authenticator app (or a recovery code)").fill(
        pyotp.TOTP(world.totp_secret).now())
    manager.get_by_role("button", name="Sign in").click()
    manager.goto(f"{base}/manager/accounts")
    manager.get_by_role("button", name=f"Reset password of {world.parent_email}").click()
    one_time = manager.locator("#one-time-password").inner_text().strip()
    # The parent is told by email that their password was changed, without the password itself.
    told = inbox.wait_for(1).get_body(("plain",)).get_content()
    assert one_time not in told

    parent = browser.new_context(**PHONE).new_page()
    sign_in(parent, base, world.parent_email, PASSWORD)
    expect(parent.get_by_text("The email or password is not right.")).to_be_visible()
    sign_in(parent, base, world.parent_email, one_time)
    expect(parent.get_by_role("heading", name="Choose a new password")).to_be_visible()
    parent.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    parent.get_by_label("New password again").fill(NEW_PASSWORD)
    parent.get_by_role("button", name="Save the password").click()
    parent.wait_for_url(f"{base}/family")
    again = browser.new_context().new_page()
    sign_in(again, base, world.parent_email, one_time)
    expect(again.get_by_text("The email or password is not right.")).to_be_visible()
