"""`gatekeeper serve` (waitress) takes a large photo in chunks without spooling any of it to a temporary
file, and refuses a large single body from its Content-Length, before reading it."""
from __future__ import annotations

import http.client
import io
import json
import os
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.conftest import ROOT

# Markup, TLS and the network: the same on either database (see tests/conftest.py).
pytestmark = pytest.mark.once

SENTINEL = b"SENTINEL-PLAINTEXT-serve-9d41"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def photo_with_sentinel(size: int) -> bytes:
    """A real JPEG carrying comment segments full of the sentinel, about size bytes long."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 200)).save(out, format="JPEG")
    photo, body = out.getvalue(), (SENTINEL * 3000)[:65000]
    segment = b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body
    return photo[:2] + segment * (size // len(segment) + 1) + photo[2:]


def staff_on_a_tablet(instance: Path) -> dict:
    """Cookies and a CSRF header for a staff member signed in on a paired tablet, made in the instance."""
    from consent_db import accounts, devices, records
    from consent_db.audit import CLI
    from consent_db.models import SessionStage
    from consent_db.timeutil import now
    from gatekeeper.cli.common import open_app
    from gatekeeper.database import session_factory, transaction
    from gatekeeper.web.current import DEVICE_COOKIE, SESSION_KEY
    from gatekeeper.web.services import sessions

    app = open_app(str(instance))
    with transaction(app) as db:
        setting = records.ensure_default_setting(db, name="Little Acorns")
        person = records.add_person(db, records.check_person(kind="staff", first_name="Sam", surname="Staff"),
                                    setting_id=setting.id, actor=CLI)
        staff = accounts.create_account(db, setting_id=setting.id, email="sam@acorns.test",
                                        password="a long enough password", role="staff", person_id=person.id)
        device_token = devices.pair_device(db, code=devices.issue_pairing_code(db, setting_id=setting.id, actor=CLI),
                                           name="Rainbow room tablet")
        device = devices.device_for_token(db, device_token)
        token = sessions.start(db, staff, stage=SessionStage.READY, device_id=device.id, at=now(),
                               lifetime=timedelta(hours=1))
    raw = secrets.token_hex(20)
    cookie = app.session_interface.get_signing_serializer(app).dumps({SESSION_KEY: token, "csrf_token": raw})
    csrf = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    session_factory(app).kw["bind"].dispose()
    return {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}; {DEVICE_COOKIE}={device_token}",
            "X-CSRFToken": csrf, "Accept": "application/json"}


@pytest.fixture
def served(tmp_path):
    instance = tmp_path / "instance"
    # Passwords play no part here: the cheapest Argon2 keeps init quick on a busy machine.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GATEKEEPER_ARGON2_TIME_COST": "1",
           "GATEKEEPER_ARGON2_MEMORY_COST": "1024"}
    made = subprocess.run([sys.executable, "-m", "gatekeeper", "init", "--instance", str(instance)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert made.returncode == 0, made.stderr
    signed_in = staff_on_a_tablet(instance)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--instance", str(instance), "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 300
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve did not start: {server.stdout.read() if server.poll() is not None else ''}")
            time.sleep(0.2)
    try:
        yield port, instance, signed_in, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)


def call(port: int, method: str, path: str, headers: dict, body: bytes | None = None, **more):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers={**headers, **more})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data and response.getheader("Content-Type", "").startswith(
        "application/json") else data


def open_temp_files(pid: int) -> set[str]:
    """Regular files the server holds open that are unnamed or in the system temp folder (a spooled body)."""
    found = set()
    temp = os.path.realpath(tempfile.gettempdir())
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("/") and ("(deleted)" in target or target.startswith(temp + "/")):
            found.add(target)
    return found


def files_holding(folders: list[Path], needle: bytes, since: float) -> list[Path]:
    holding = []
    for folder in folders:
        for root, _, names in os.walk(folder):
            for name in names:
                path = Path(root) / name
                try:
                    if path.is_symlink() or path.lstat().st_mtime < since or path.lstat().st_size > 256 << 20:
                        continue
                    if needle in path.read_bytes():
                        holding.append(path)
                except OSError:
                    continue
    return holding


def test_a_photo_larger_than_the_in_memory_buffer_goes_up_in_chunks_and_never_to_a_temp_file(served):
    port, instance, signed_in, pid = served
    began = time.time() - 1
    data = photo_with_sentinel(9 * 1024 * 1024)
    status, started = call(port, "POST", "/staff/upload/start", signed_in,
                           json.dumps({"name": "big.jpg", "size": len(data), "type": "image/jpeg"}).encode(),
                           **{"Content-Type": "application/json"})
    assert status == 201, started
    chunk, upload_id = started["chunk_bytes"], started["id"]
    count = -(-len(data) // chunk)
    assert count >= 3
    held_before = open_temp_files(pid)
    for index in range(count - 1):
        piece = data[index * chunk:(index + 1) * chunk]
        # Send all but the last byte, and look while waitress holds the body: in memory, not in a file.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.putrequest("PUT", f"/staff/upload/{upload_id}/chunks/{index}?offset={index * chunk}")
        for name, value in {**signed_in, "Content-Type": "application/octet-stream",
                            "Content-Length": str(len(piece))}.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(piece[:-1])
        time.sleep(0.5)
        assert open_temp_files(pid) - held_before == set(), "a chunk body was spooled to a temporary file"
        conn.send(piece[-1:])
        response = conn.getresponse()
        assert response.status == 201, response.read()
        response.read()
        conn.close()
    status, progress = call(port, "GET", f"/staff/upload/{upload_id}", signed_in)
    assert progress["received"] == list(range(count - 1))
    assert files_holding([instance, Path(tempfile.gettempdir())], SENTINEL, began) == []
    last = count - 1
    status, _ = call(port, "PUT", f"/staff/upload/{upload_id}/chunks/{last}?offset={last * chunk}", signed_in,
                     data[last * chunk:], **{"Content-Type": "application/octet-stream"})
    assert status == 201
    status, answer = call(port, "POST", f"/staff/upload/{upload_id}/finish", signed_in)
    assert status == 201 and answer["ok"], answer
    assert files_holding([instance], SENTINEL, began) == [], "the comment segments were stripped, the rest sealed"


def test_a_large_single_body_is_refused_with_413_before_it_is_read(served):
    port, _, signed_in, _ = served
    for path in ("/signin", "/staff/upload", "/staff/upload/start"):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {signed_in['Cookie']}\r\n"
                    "Content-Type: multipart/form-data; boundary=x\r\n"
                    f"Content-Length: {512 * 1024 * 1024}\r\n\r\n")
            sock.sendall(head.encode())
            # Not one byte of the body is sent: an answer now means it was refused from the Content-Length.
            answer = sock.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), (path, answer[:200])
