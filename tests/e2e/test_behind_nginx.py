"""The README's nginx configuration (docs/nginx-gatekeeper.conf) in front of `gatekeeper serve`, over TLS:
form posts pass CSRF, and the throttle and the security log see each client's own address."""
from __future__ import annotations

import datetime
import http.client
import json
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import sqlalchemy

from tests.conftest import ROOT

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = ROOT / "docs" / "nginx-gatekeeper.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read() if process.poll() is not None and process.stdout else ""
                pytest.fail(f"{what} did not start: {out}")
            time.sleep(0.2)


class Browser:
    """One client at one loopback address: keeps its cookies and sends a Referer like a browser."""

    def __init__(self, port: int, address: str):
        self.port, self.address, self.cookies = port, address, {}
        self.context = ssl.create_default_context()
        self.context.check_hostname, self.context.verify_mode = False, ssl.CERT_NONE

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                body: bytes | str | None = None):
        conn = http.client.HTTPSConnection("localhost", self.port, source_address=(self.address, 0),
                                           context=self.context, timeout=30)
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent |= {"Content-Type": "application/x-www-form-urlencoded",
                     "Referer": f"https://localhost:{self.port}/signin"}
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        conn.close()
        return response.status, response.headers, text

    def sign_in(self, email: str, password: str, headers: dict | None = None):
        _, _, page = self.request("GET", "/signin")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
        csrf = next(group for group in token.groups() if group)
        return self.request("POST", "/signin", {"csrf_token": csrf, "email": email, "password": password}, headers)


@pytest.fixture
def behind_nginx(tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light): proxy test skipped")
    instance = tmp_path / "instance"
    made = subprocess.run([sys.executable, "-m", "gatekeeper", "init", "--instance", str(instance), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    password = json.loads(made.stdout)["manager_one_time_password"]
    app_port, tls_port = free_port(), free_port()
    env = {**__import__("os").environ, "GATEKEEPER_TRUSTED_PROXY_HOPS": "1", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "gatekeeper", "serve", "--instance", str(instance), "--port",
                               str(app_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    cert, key = self_signed(tmp_path)
    site = (CONF.read_text().replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
            .replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
            .replace("/etc/ssl/certs/photos.example.org.pem", str(cert))
            .replace("/etc/ssl/private/photos.example.org.key", str(key)))
    temp = tmp_path / "nginx"
    temp.mkdir()
    (temp / "site.conf").write_text(site)
    (temp / "nginx.conf").write_text(
        f"daemon off; pid {temp}/nginx.pid; error_log {temp}/error.log; worker_processes 1;\n"
        "events { worker_connections 64; }\n"
        f"http {{ access_log off; client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fcgi; uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;\n"
        f"  include {temp}/site.conf; }}\n")
    user = ["-g", "user root;"] if __import__("os").geteuid() == 0 else []
    proxy = subprocess.Popen([NGINX, "-p", str(temp), "-c", str(temp / "nginx.conf"), *user],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(app_port, server, "gatekeeper serve")
        wait_for(tls_port, proxy, "nginx")
        yield tls_port, instance, password
    finally:
        proxy.terminate()
        server.terminate()
        proxy.wait(timeout=20)
        server.wait(timeout=20)


def failure_addresses(instance: Path, database_url: str | None) -> list[str]:
    """The address of every failed sign-in in the security log, read from the instance's own database."""
    engine = sqlalchemy.create_engine(database_url or f"sqlite:///{instance / 'gatekeeper.db'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text(
                "SELECT details FROM audit_events WHERE tag = 'account:sign-in-failed' ORDER BY id"))
            return [(details if isinstance(details, dict) else json.loads(details)).get("address")
                    for (details,) in rows]
    finally:
        engine.dispose()


def test_a_sign_in_form_post_works_through_the_proxy_over_tls(behind_nginx):
    port, _, password = behind_nginx
    browser = Browser(port, "127.0.0.5")
    status, headers, _ = browser.sign_in("manager@setting.local", password)
    assert status == 302, "CSRF's same-origin check passes: the proxy passes the browser's Host"
    assert any(name.startswith("__Host-") for name in browser.cookies), "over TLS the session cookie is __Host-"
    status, headers, _ = browser.request("GET", "/")
    assert status == 302 and headers["Location"].endswith("/account/password")
    hsts = browser.request("GET", "/signin")[1]["Strict-Transport-Security"]
    assert "includeSubDomains" in hsts


def test_the_throttle_and_the_log_see_each_clients_own_address_not_the_proxys(behind_nginx, instance_database):
    port, instance, password = behind_nginx
    attacker = Browser(port, "127.0.0.5")
    statuses = [attacker.sign_in("manager@setting.local", "not the password at all",
                                 headers={"X-Forwarded-For": "198.51.100.66"})[0] for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert set(failure_addresses(instance, instance_database)) == {"127.0.0.5"}, "neither the proxy's address nor a forged one"
    manager = Browser(port, "127.0.0.6")
    assert manager.sign_in("manager@setting.local", password)[0] == 302


def test_chunks_pass_the_proxy_and_every_large_body_is_refused_there(behind_nginx):
    from tests.e2e.test_serve_chunked_uploads import photo_with_sentinel, staff_on_a_tablet

    port, instance, _ = behind_nginx
    signed_in = {**staff_on_a_tablet(instance), "Referer": f"https://localhost:{port}/staff/upload"}
    browser = Browser(port, "127.0.0.7")
    data = photo_with_sentinel(6 * 1024 * 1024)
    status, _, text = browser.request("POST", "/staff/upload/start", headers={
        **signed_in, "Content-Type": "application/json"}, body=json.dumps(
        {"name": "big.jpg", "size": len(data), "type": "image/jpeg"}))
    assert status == 201, text
    started = json.loads(text)
    chunk, upload_id = started["chunk_bytes"], started["id"]
    for index in range(-(-len(data) // chunk)):
        status, _, text = browser.request("PUT", f"/staff/upload/{upload_id}/chunks/{index}?offset={index * chunk}",
                                          headers={**signed_in, "Content-Type": "application/octet-stream"},
                                          body=data[index * chunk:(index + 1) * chunk])
        assert status == 201, text
    status, _, text = browser.request("POST", f"/staff/upload/{upload_id}/finish", headers=signed_in)
    assert status == 201, text
    # nginx refuses, from the Content-Length, a body larger than any route takes (no 2 GiB route is left).
    for method, path in (("POST", "/staff/upload"), ("PUT", f"/staff/upload/{upload_id}/chunks/0?offset=0"),
                         ("POST", "/signin")):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            with browser.context.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall((f"{method} {path} HTTP/1.1\r\nHost: localhost:{port}\r\nCookie: {signed_in['Cookie']}\r\n"
                             f"Content-Type: application/octet-stream\r\nContent-Length: {6 * 1024 * 1024}\r\n\r\n")
                            .encode())
                answer = tls.recv(4096).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), (path, answer[:200])
