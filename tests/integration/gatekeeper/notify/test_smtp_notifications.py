"""Notifications through a real SMTP server on loopback (aiosmtpd): delivered once after commit, and
delivered later, once, when the server was down at first."""
from __future__ import annotations

import io
import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from consent_db.models import Notification, OutboxRow
from consent_db.timeutil import now
from gatekeeper.app.context import gate_context
from gatekeeper.app.drain import drain
from gatekeeper.database import transaction
from tests.web_world import build_world, post, sign_in_directly


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_app(app, smtp_port):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_port, SMTP_STARTTLS=False, SMTP_FROM="office@acorns.test",
                      PUBLIC_URL="https://photos.acorns.test")
    from gatekeeper.faces.plugins import FaceEngine
    from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit

    engine = FaceEngine(FixedDetector([face_row(60, 30, 60, 60)]), VectorRecogniser({60.0: unit(1)}))
    gate_context(app).engine_factory = lambda _config: engine
    return app


def serve(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def upload(app, client) -> str:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (240, 160), (180, 200, 220)).save(data, format="JPEG")
    response = post(app, client, "/staff/upload", {"file": (io.BytesIO(data.getvalue()), "photo.jpg")},
                    headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def staff_client(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.staff_id, device_token=world.device_token)
    return client


def test_the_manager_is_emailed_about_a_new_upload_once_through_a_real_smtp_server(smtp_app, smtp_port):
    world = build_world(smtp_app)
    controller, inbox = serve(smtp_port)
    try:
        item = upload(smtp_app, staff_client(smtp_app, world))
        drain(gate_context(smtp_app))
    finally:
        controller.stop()
    [(to, message)] = inbox.messages
    assert to == [world.manager_email]
    assert message["Subject"] == "A new photo is waiting" and message["From"] == "office@acorns.test"
    assert f"https://photos.acorns.test/manager/queue/{item}" in message.get_payload()


def test_a_mail_server_that_was_down_gets_the_message_later_exactly_once(smtp_app, smtp_port):
    world = build_world(smtp_app)
    upload(smtp_app, staff_client(smtp_app, world))  # nothing listens on the port yet
    with transaction(smtp_app) as db:
        [row] = db.scalars(select(OutboxRow).where(OutboxRow.kind == "item_waiting"))
        assert row.done_at is None and row.attempts == 1
        row.due_at = now()
        [note] = db.scalars(select(Notification))
        assert note.emailed_at is None
    controller, inbox = serve(smtp_port)
    try:
        drain(gate_context(smtp_app))
        drain(gate_context(smtp_app))
    finally:
        controller.stop()
    assert [to for to, _ in inbox.messages] == [[world.manager_email]]
    with transaction(smtp_app) as db:
        assert db.scalars(select(OutboxRow).where(OutboxRow.kind == "item_waiting")).one().done_at is not None
        assert db.scalars(select(Notification)).one().emailed_at is not None
