"""Security headers with a strict Content-Security-Policy, CSRF on every form, body limits, the
client's address from trusted proxies, and the session cookie's __Host- prefix over TLS.

Form posts are held to MAX_CONTENT_LENGTH (small). Routes named in LARGE_BODY_ENDPOINTS get a
higher limit, and only for a caller already allowed to use them, so nobody else can make the
server spool a large body; an announced Content-Length over the limit is refused before reading,
first by a WSGI middleware (before the session, the database or a form parser is touched), then
per caller in the app.
"""
from __future__ import annotations

import unicodedata
from typing import Callable

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin: invitation tokens in our URLs never leave in a Referer, and CSRF's HTTPS
    # referrer check still sees our own origin.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=(), usb=()",
}

# endpoint -> (config key of its limit, a check that the caller may send that much)
LARGE_BODY_ENDPOINTS: dict[str, tuple[str, Callable[[], bool]]] = {}


def allow_large_body(endpoint: str, limit_key: str, allowed: Callable[[], bool]) -> None:
    """Let one endpoint take bodies up to app.config[limit_key] when allowed() says so."""
    LARGE_BODY_ENDPOINTS[endpoint] = (limit_key, allowed)


def _body_limit() -> None:
    entry = LARGE_BODY_ENDPOINTS.get(request.endpoint or "")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if entry is not None and entry[1]():
        limit = int(current_app.config[entry[0]])
        request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def _headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not request.path.startswith("/static/"):
        # Pages carry personal data: never kept by shared caches or the back button of a shared device.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class BodyLimit:
    """WSGI middleware: refuse an announced body over the route's largest limit before reading it."""

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app, self.app = wsgi_app, app

    def limit_for(self, environ) -> int:
        try:
            endpoint, _ = self.app.url_map.bind_to_environ(environ).match(method=environ.get("REQUEST_METHOD"))
        except HTTPException:
            endpoint = None  # 404/405: the app answers, with the small limit
        entry = LARGE_BODY_ENDPOINTS.get(endpoint or "")
        return int(self.app.config[entry[0]]) if entry else int(self.app.config["MAX_CONTENT_LENGTH"])

    def __call__(self, environ, start_response):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.limit_for(environ):
            with self.app.request_context(environ):
                # The app's own 413 page (or JSON), rendered without touching the body or the session.
                response = self.app.make_response(self.app.handle_http_exception(RequestEntityTooLarge()))
            for name, value in HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers["Connection"] = "close"
            return response(environ, start_response)
        return self.wsgi_app(environ, start_response)


# Longest value any form field may have; captions and notes fit well within it.
MAX_FIELD_CHARS = 5000
# Fields that hold one line (names, addresses, codes): no line breaks or tabs either.
SINGLE_LINE = ("name", "email", "phone", "code", "password", "slug", "subject", "tag", "first_name", "surname")
# Bidirectional overrides and isolates reorder what a Manager reads ("evil\u202egnp.exe").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def text_problem(field: str, value: str) -> str | None:
    """Why a form value is refused (too long, control characters), or None when it is fine."""
    if len(value) > MAX_FIELD_CHARS:
        return f"{field} is longer than {MAX_FIELD_CHARS} characters"
    single_line = any(part in field for part in SINGLE_LINE)
    for char in value:
        if char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and (single_line or char not in "\t\r\n")):
            return f"{field} contains control characters"
    return None


def _text_limits() -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    for field, value in request.form.items(multi=True):
        problem = text_problem(field, value)
        if problem is not None:
            abort(400, description=f"{problem[0].upper()}{problem[1:]}: nothing was saved.")


def _secure_cookie_name(app: Flask) -> None:
    # Over TLS the session cookie is __Host-: only this exact host over HTTPS can set or read it.
    name = app.config["SESSION_COOKIE_NAME"]
    if app.config["SESSION_COOKIE_SECURE"] and not name.startswith("__Host-"):
        app.config["SESSION_COOKIE_NAME"] = f"__Host-{name}"
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = None


def init_app(app: Flask) -> None:
    """Install the proxy and body-size middleware, body limits (before CSRF reads the form), CSRF and the headers."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the server-side session instead
    _secure_cookie_name(app)
    app.wsgi_app = BodyLimit(app.wsgi_app, app)
    hops = int(app.config.get("TRUSTED_PROXY_HOPS", 0))
    if hops:
        # Only the last `hops` X-Forwarded-For/-Proto values are believed: those our own proxies wrote. The
        # Host header comes from the proxy as the browser sent it (proxy_set_header Host $http_host).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    app.before_request(_body_limit)
    app.before_request(_text_limits)
    csrf.init_app(app)
    app.after_request(_headers)
