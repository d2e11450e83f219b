"""The app's mailer (gatekeeper.notify's plug-in, chosen by configuration) and sending off the request path."""
from __future__ import annotations

import threading

from flask import Flask, current_app

from gatekeeper.notify import MailError, Mailer, SmtpMailer, mailer_from_config

__all__ = ["MailError", "Mailer", "SmtpMailer", "init_app", "mailer", "send_in_background"]
EXTENSION = "gatekeeper.mail"


def send_in_background(sender: Mailer, to: str, subject: str, body: str) -> threading.Thread:
    """Send from a thread, so how long the mail server takes never shows in the answer; failures are logged."""
    def run() -> None:
        try:
            sender.send(to, subject, body)
        except MailError:
            pass  # SmtpMailer has logged it; nobody is waiting for an answer

    thread = threading.Thread(target=run, name="gatekeeper-mail", daemon=True)
    thread.start()
    return thread


def init_app(app: Flask) -> None:
    """An SMTP mailer when SMTP_HOST is set, else none (links are shown to the Manager)."""
    app.extensions[EXTENSION] = mailer_from_config(app.config)


def mailer(app: Flask | None = None) -> Mailer | None:
    return (app or current_app).extensions.get(EXTENSION)
