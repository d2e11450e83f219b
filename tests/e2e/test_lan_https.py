"""A tablet on the setting's network: another network namespace reaches the box by its network address
over HTTPS, trusting the instance's own authority, pairs, signs staff in and uploads; plain HTTP is sent
on to HTTPS. Needs root (ip netns), Chromium and certutil (libnss3-tools), as scripts/test installs."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from consent_db import devices
from consent_db.audit import CLI, AuditTag
from consent_db.models import AuditEvent, MediaItem
from gatekeeper import create_app
from gatekeeper.database import session_factory, transaction
from tests.conftest import ROOT
from tests.web_world import PASSWORD, build_world

# Markup, TLS and the network: the same on either database (see tests/conftest.py).
pytestmark = pytest.mark.once

BROWSER_SCRIPT = Path(__file__).with_name("lan_browser.py")


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.fixture
def namespace():
    """A second network namespace joined to this one by a veth pair on a private /30: (name, box, tablet)."""
    if shutil.which("ip") is None:
        pytest.skip("the ip command (iproute2) is missing")
    suffix = secrets.token_hex(3)
    name, outside, inside = f"gk-{suffix}", f"gkh{suffix}", f"gkt{suffix}"
    made = _run("ip", "netns", "add", name)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here (needs root): {made.stderr.strip()}")
    third, fourth = secrets.randbelow(250) + 1, secrets.randbelow(63) * 4
    box, tablet = f"10.213.{third}.{fourth + 1}", f"10.213.{third}.{fourth + 2}"
    try:
        for command in (
            ("ip", "link", "add", outside, "type", "veth", "peer", "name", inside),
            ("ip", "link", "set", inside, "netns", name),
            ("ip", "addr", "add", f"{box}/30", "dev", outside),
            ("ip", "link", "set", outside, "up"),
            ("ip", "netns", "exec", name, "ip", "addr", "add", f"{tablet}/30", "dev", inside),
            ("ip", "netns", "exec", name, "ip", "link", "set", inside, "up"),
            ("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"),
        ):
            done = _run(*command)
            assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"
        yield name, box, tablet
    finally:
        _run("ip", "link", "del", outside)
        _run("ip", "netns", "del", name)


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def gatekeeper(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gatekeeper", *args], capture_output=True, text=True, timeout=180,
                          cwd=ROOT)


def wait_for_https(server: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while "Photo Gatekeeper on https://" not in log.read_text():
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.5)


PLAIN_REQUESTS = """
import http.client, json, sys
answers = {}
for method in ("GET", "POST"):
    connection = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=20)
    connection.request(method, "/signin?next=%2Fstaff%2Fupload", body=b"" if method == "POST" else None)
    response = connection.getresponse()
    answers[method] = [response.status, response.getheader("Location")]
print(json.dumps(answers))
"""


@pytest.mark.slow
def test_a_tablet_on_the_network_uses_https_with_the_instance_authority_and_plain_http_is_redirected(
        namespace, tmp_path, artifacts):
    if not Path("/usr/bin/chromium").exists() or shutil.which("certutil") is None:
        pytest.skip("Chromium and certutil are needed (apt install chromium libnss3-tools; scripts/test does)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    name, box, tablet = namespace
    instance = tmp_path / "instance"
    plain_port, https_port = free_port(box), free_port(box)
    made = gatekeeper("init", "--instance", str(instance), "--setting-name", "Little Acorns",
                      "--public-url", f"https://{box}:{https_port}")
    assert made.returncode == 0, made.stderr
    assert box in made.stdout, "the certificate covers the public URL's address"

    app = create_app({"JOBS_URL": "memory://"}, instance_dir=str(instance))
    world = build_world(app)
    with transaction(app) as db:
        code = devices.issue_pairing_code(db, setting_id=world.setting_id, actor=CLI)
    photo = tmp_path / "painting.jpg"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(photo, quality=90)

    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--instance", str(instance), "--https",
                                   "--host", box, "--port", str(plain_port), "--https-port", str(https_port)],
                                  stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for_https(server, log)
        plain = _run("ip", "netns", "exec", name, sys.executable, "-c", PLAIN_REQUESTS, box, str(plain_port))
        assert plain.returncode == 0, plain.stderr
        answers = json.loads(plain.stdout)
        target = f"https://{box}:{https_port}/signin?next=%2Fstaff%2Fupload"
        assert answers == {"GET": [302, target], "POST": [307, target]}

        home = tmp_path / "tablet-home"
        home.mkdir()
        seen = subprocess.run(
            ["ip", "netns", "exec", name, "env", f"HOME={home}", f"PYTHONPATH={ROOT}", sys.executable,
             str(BROWSER_SCRIPT), "--plain", f"http://{box}:{plain_port}", "--https", f"https://{box}:{https_port}",
             "--authority", str(instance / "tls" / "authority.crt"), "--code", code, "--email", world.staff_email,
             "--password", PASSWORD, "--photo", str(photo), "--shots", str(artifacts)],
            capture_output=True, text=True, timeout=300)
        assert seen.returncode == 0, seen.stdout + seen.stderr + log.read_text()
        found = json.loads(seen.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert "ERR_CERT_AUTHORITY_INVALID" in found["untrusted"], "without the authority the tablet is warned"
    assert found["redirected_to"] == f"https://{box}:{https_port}/device"
    assert found["first_status"] == 200
    assert found["security"]["protocol"] in ("TLS 1.3", "TLS 1.2")
    assert "Little Acorns" in found["title"]
    assert found["paired"] and found["received"] == 1 and found["cookies_secure"]
    with transaction(app) as db:
        items = list(db.scalars(select(MediaItem)))
        signed_in = db.scalars(select(AuditEvent).where(AuditEvent.tag == AuditTag.ACCOUNT_SIGNED_IN.value,
                                                        AuditEvent.subject == f"account:{world.staff_id}")).all()
    assert len(items) == 1
    # The app saw the tablet's own address through the TLS front, so the sign-in throttle counts it.
    assert [json.loads(event.details)["address"] for event in signed_in] == [tablet]
    session_factory(app).kw["bind"].dispose()
