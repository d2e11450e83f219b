"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts."""
from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.integration.gatekeeper.publishers.wordpress_site import free_port


@dataclass
class Mailbox:
    received: list[dict] = field(default_factory=list)
    refuse_rcpt: set[str] = field(default_factory=set)
    data_reply: str | None = None  # e.g. "451 4.3.0 try again later"

    def messages(self):
        return [message_from_bytes(m["content"], policy=policy.default) for m in self.received]


class _Handler:
    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.mailbox.refuse_rcpt:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mailbox.data_reply:
            return self.mailbox.data_reply
        self.mailbox.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                      "content": envelope.original_content or envelope.content})
        return "250 Message accepted for delivery"


def _authenticator(user: str, password: str):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() \
            and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)
    return check


def serve(mailbox: Mailbox, *, user: str | None = None, password: str | None = None):
    """Yield the port of an SMTP server on 127.0.0.1 (plain; with AUTH when user is given)."""
    kwargs = {}
    if user:
        kwargs = {"authenticator": _authenticator(user, password), "auth_require_tls": False,
                  "auth_required": True}
    controller = Controller(_Handler(mailbox), hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
