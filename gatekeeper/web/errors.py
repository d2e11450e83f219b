"""Error pages in plain words, for every HTTP error the app raises (CSRF failures included)."""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from gatekeeper.web.services.throttle import CountersUnavailable
from gatekeeper.web.current import signed_out_answer, wants_json

MESSAGES = {
    400: ("Something in the request was not right", "Please go back and try again."),
    403: ("This page is not for your account", "You are signed in, but your account cannot open this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "That action cannot be done this way."),
    413: ("Too large", "The file or form is larger than this service accepts."),
    429: ("Please wait", "Too many attempts; try again in a few minutes."),
    503: ("Please try again shortly", "The service cannot do this for a moment."),
    500: ("Something went wrong", "The service could not finish this. Nothing was changed; please try again."),
}


def _render(status: int, detail: str | None = None):
    title, text = MESSAGES.get(status, (f"Error {status}", "The request could not be completed."))
    if request.accept_mimetypes.best == "application/json":
        return {"error": detail or text}, status
    return render_template("error.html", status=status, title=title, text=detail or text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # Signing out in another tab clears the session and its CSRF secret with it.
        if wants_json() and g.get("account") is None:
            return signed_out_answer()
        return _render(400, "The form had expired or did not come from this site. Reload the page and try again.")

    @app.errorhandler(CountersUnavailable)
    def counters_unavailable(error: CountersUnavailable):
        # Nothing was checked: without a count, a guess must not reach the password or code.
        return _render(503, str(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        default = type(error).description
        detail = error.description if error.description and error.description != default else None
        return _render(error.code, detail)
