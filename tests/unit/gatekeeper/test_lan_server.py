"""The plain-HTTP listener sends browsers to HTTPS; the TLS front's connections keep their client's address."""
from __future__ import annotations

from werkzeug.test import Client
from werkzeug.wrappers import Response

from gatekeeper import lan_server


def app_saying(text: str):
    def application(environ, start_response):
        return Response(f"{text} {environ.get('REMOTE_ADDR')} {environ['wsgi.url_scheme']}")(environ, start_response)

    return application


def redirector(public_url: str = ""):
    return Client(lan_server.redirect_to_https(app_saying("app"), 8443, public_url))


def test_a_get_is_sent_to_the_same_host_over_https_with_its_query():
    answer = redirector().get("/signin?next=/staff/upload", headers={"Host": "nursery-box.local:8000"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "https://nursery-box.local:8443/signin?next=/staff/upload"
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_post_keeps_its_method_and_an_address_host_keeps_its_address():
    answer = redirector().post("/signin", headers={"Host": "192.168.1.20:8000"})
    assert answer.status_code == 307
    assert answer.headers["Location"] == "https://192.168.1.20:8443/signin"
    v6 = redirector().get("/", headers={"Host": "[fd00::2]:8000"})
    assert v6.headers["Location"] == "https://[fd00::2]:8443/"


def test_port_443_is_left_out_of_the_address():
    client = Client(lan_server.redirect_to_https(app_saying("app"), 443))
    assert client.get("/x", headers={"Host": "box.local"}).headers["Location"] == "https://box.local/x"


def test_a_host_header_that_is_no_host_falls_back_to_public_url_or_is_refused():
    bad = {"Host": "evil.example/<script>"}
    assert redirector("https://box.local:8443").get("/", headers=bad).headers["Location"] == "https://box.local:8443/"
    assert redirector().get("/", headers=bad).status_code == 400


def test_the_authority_its_instructions_static_files_and_healthz_stay_on_plain_http():
    for path in ("/trust", "/trust/authority.crt", "/trust/authority.mobileconfig", "/healthz", "/static/app.css"):
        answer = redirector().get(path, headers={"Host": "box.local:8000"})
        assert answer.status_code == 200 and answer.text.startswith("app "), path
    assert redirector().get("/trusty", headers={"Host": "box.local:8000"}).status_code == 302


class Front:
    def __init__(self, clients):
        self.clients = clients

    def client_of(self, port):
        return self.clients.get(port)


def test_a_request_through_the_front_gets_its_client_address_and_https():
    client = Client(lan_server.through_front(app_saying("app"), Front({50001: "192.168.1.33"})))
    through = client.get("/", environ_base={"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50001"})
    assert through.text == "app 192.168.1.33 https"


def test_a_loopback_connection_not_made_by_the_front_stays_plain_and_local():
    client = Client(lan_server.through_front(app_saying("app"), Front({50001: "192.168.1.33"})))
    other = client.get("/", environ_base={"REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "50002"})
    assert other.text == "app 127.0.0.1 http"
    spoofed = client.get("/", environ_base={"REMOTE_ADDR": "192.168.1.9", "REMOTE_PORT": "50001"})
    assert spoofed.text == "app 192.168.1.9 http"
