"""Security headers with a strict Content-Security-Policy, CSRF on every form, and body limits.

Form posts are held to MAX_CONTENT_LENGTH (small). Routes named in LARGE_BODY_ENDPOINTS get a
higher limit, and only for a caller already allowed to use them, so nobody else can make the
server spool a large body; an announced Content-Length over the limit is refused before reading.
"""
from __future__ import annotations

from typing import Callable

from flask import Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect

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
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not request.path.startswith("/static/"):
        # Pages carry personal data: never kept by shared caches or the back button of a shared device.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Install body limits (before CSRF reads the form), CSRF and the headers."""
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the server-side session instead
    app.before_request(_body_limit)
    csrf.init_app(app)
    app.after_request(_headers)
