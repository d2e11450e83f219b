"""Mail over SMTP (STARTTLS and login when configured); smtplib's errors become MailError here."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any, Mapping

from gatekeeper.notify.mailer import Mailer, MailError

log = logging.getLogger(__name__)


class SmtpMailer(Mailer):
    def __init__(self, config: Mapping[str, Any]):
        self.host = config["SMTP_HOST"]
        self.port = int(config["SMTP_PORT"])
        self.username = config.get("SMTP_USERNAME", "")
        self.password = config.get("SMTP_PASSWORD", "")
        self.sender = config.get("SMTP_FROM") or f"gatekeeper@{self.host}"
        self.starttls = bool(config.get("SMTP_STARTTLS", True))

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
            raise MailError(f"The email could not be sent ({exc.__class__.__name__}).") from None
