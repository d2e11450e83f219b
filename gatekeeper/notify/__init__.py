"""Notifications: who is told what (never another family's child), kept per account, emailed once.

The mailer is a plug-in: one module per kind, chosen by configuration (SMTP_HOST set means SMTP;
none means notifications stay in the pages only).
"""
from __future__ import annotations

from typing import Any, Mapping

from gatekeeper.notify.mailer import Mailer, MailError
from gatekeeper.notify.smtp import SmtpMailer

__all__ = ["MailError", "Mailer", "SmtpMailer", "mailer_from_config"]


def mailer_from_config(config: Mapping[str, Any]) -> Mailer | None:
    """An SMTP mailer when SMTP_HOST is set, else None: nothing is emailed, everything stays in the pages."""
    return SmtpMailer(config) if config.get("SMTP_HOST") else None
