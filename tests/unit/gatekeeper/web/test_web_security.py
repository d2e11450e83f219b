"""Headers, CSP, CSRF, cookies and body limits apply to every page."""
from __future__ import annotations

import re
from pathlib import Path

from tests.web_world import csrf_token, post

TEMPLATES = Path(__file__).resolve().parents[4] / "gatekeeper" / "templates"


def test_every_page_has_a_strict_content_security_policy_and_security_headers(client):
    response = client.get("/signin")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_https_responses_carry_strict_transport_security(client):
    response = client.get("/signin", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_template_has_an_inline_script_handler_or_style(tmp_path):
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline script in {template.name}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template.name}"
        assert not re.search(r"\sstyle\s*=", text), f"inline style in {template.name}"
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"external resource in {template.name}"


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(app, manager, world):
    response = manager.post("/manager/channels", data={"slug": "screens", "name": "Screens", "description": "x"})
    assert response.status_code == 400
    assert b"did not come from this site" in response.data
    assert b"Screens" not in manager.get("/manager/channels").data


def test_a_post_with_a_token_from_another_session_is_refused(app, manager, world):
    stranger = app.test_client()
    token = csrf_token(app, stranger)
    response = manager.post("/manager/channels", data={"slug": "screens", "name": "Screens", "description": "x",
                                                       "csrf_token": token})
    assert response.status_code == 400


def test_a_form_post_over_the_small_global_limit_is_refused_before_reading(app, client):
    response = client.post("/signin", data=b"x" * (2 * 1024 * 1024), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_the_reference_photo_route_keeps_the_small_limit_for_anyone_but_a_manager(app, parent, world):
    big = b"x" * (1024 * 1024 + 10)
    response = parent.post(f"/manager/people/{world.child_id}/reference-photo", data=big,
                           content_type="application/octet-stream")
    assert response.status_code == 413


def test_session_cookies_are_http_only_lax_and_secure_when_configured(app, world):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    response = client.get("/signin", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_error_pages_are_plain_words(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"There is nothing here" in response.data


def test_json_callers_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]


def test_a_post_to_a_get_only_page_is_405(app, client):
    assert post(app, client, "/healthz").status_code == 405
