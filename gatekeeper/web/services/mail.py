"""Email for invitation links: sent over SMTP when configured, otherwise the Manager hands the link over."""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from abc import ABC, abstractmethod
from email.message import EmailMessage
from typing import Any, Mapping

from flask import Flask, current_app

log = logging.getLogger(__name__)
EXTENSION = "gatekeeper.mail"


class MailError(Exception):
    """The message could not be sent; the message says why in one sentence."""


class Mailer(ABC):
    """Sends one plain-text message."""

    @abstractmethod
    def send(self, to: str, subject: str, body: str) -> None:
        """Send it; raises MailError."""


class SmtpMailer(Mailer):
    def __init__(self, config: Mapping[str, Any]):
        self.host = config["SMTP_HOST"]
        self.port = int(config["SMTP_PORT"])
        self.username = config["SMTP_USERNAME"]
        self.password = config["SMTP_PASSWORD"]
        self.sender = config["SMTP_FROM"] or f"gatekeeper@{self.host}"
        self.starttls = bool(config["SMTP_STARTTLS"])

    def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("email to %s not sent: %s", to, exc)
            raise MailError(f"The email could not be sent ({exc.__class__.__name__}); hand the link over instead.") from None


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
    app.extensions[EXTENSION] = SmtpMailer(app.config) if app.config.get("SMTP_HOST") else None


def mailer(app: Flask | None = None) -> Mailer | None:
    return (app or current_app).extensions.get(EXTENSION)
