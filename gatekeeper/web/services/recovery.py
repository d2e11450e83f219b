"""Telling an account's owner that their password changed (the resets themselves are consent_db.recovery)."""
from __future__ import annotations

from gatekeeper.web.services.mail import Mailer, send_in_background

CHANGED_SUBJECT = "Your {service} password was changed"


def notify_changed(sender: Mailer | None, email: str, how: str, *, service: str = "Photo Gatekeeper") -> None:
    """Tell the account's owner their password changed (ASVS 2.5.5), when email is set up; never blocks.

    service: whose service it is ("Little Acorns Photo Gatekeeper"), for the subject and body."""
    if sender is None:
        return
    send_in_background(sender, email, CHANGED_SUBJECT.format(service=service),
                       f"The password of your {service} account {email} was changed ({how}).\n\n"
                       "If it was not you, tell the Manager at once.\n")
