"""The mail plug-in point: send one plain-text message or raise MailError."""
from __future__ import annotations

from abc import ABC, abstractmethod


class MailError(Exception):
    """The message could not be sent; the message says why in one sentence."""


class Mailer(ABC):
    """Sends one plain-text message."""

    @abstractmethod
    def send(self, to: str, subject: str, body: str) -> None:
        """Send it; raises MailError."""
