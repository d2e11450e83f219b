"""A channel that is the setting's email newsletter, sent by SMTP to a list the channel's target holds.

Items are not published one by one: the Manager composes an issue from the items approved for the
channel and sends it (gate/newsletter.py). An email cannot be recalled, so this channel can never
take a copy back; a takedown only records that, and tells the Manager.
"""
from __future__ import annotations

import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Mapping, Sequence

from gatekeeper.publishers.base import (
    InvalidTarget,
    PublishedRef,
    Publisher,
    PublisherError,
    PublisherMisconfigured,
    PublisherUnavailable,
    PublishRefused,
    Takeback,
    check_object_name,
)
from gatekeeper.publishers.kinds import ChannelKind, TargetField
from gatekeeper.publishers.targets import SecretRef, read_fields, read_secret_ref, secret_fields

KIND_NAME = "newsletter"
SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TARGET_REQUIRED: dict[str, type] = {"host": str, "sender": str, "recipients": list}
TARGET_OPTIONAL: dict[str, type] = {
    "port": int, "security": str, "username": str, **secret_fields("password"), "reply_to": str, "timeout_s": int,
}
MAX_RECIPIENTS = 1000
MAX_ISSUE_BYTES = 20 * 1024 * 1024  # most mail servers refuse messages much over 20-25 MB
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
_HEADER_UNSAFE = re.compile(r"[\r\n]")


@dataclass(frozen=True)
class IssueItem:
    """One picture of an issue: the verified rendition file, its random name and its checked caption."""

    path: Path
    object_name: str
    content_type: str
    caption: str | None = None


class NewsletterPublisher(Publisher):
    """Sends issues by SMTP with the renditions attached; single items and takedowns send nothing."""

    kind = KIND_NAME
    can_take_back = Takeback.NEVER
    takes_captions = True
    sends_in_issues = True

    def __init__(self, *, host: str, sender: str, recipients: Sequence[str], port: int | None = None,
                 security: str = "starttls", username: str | None = None, password: SecretRef | None = None,
                 reply_to: str | None = None, timeout_s: float = 30.0):
        self.host = host
        self.security = security
        self.port = port or DEFAULT_PORTS[security]
        self.sender = sender
        self.recipients = list(recipients)
        self.username = username
        self.password = password
        self.reply_to = reply_to
        self.timeout_s = timeout_s

    @classmethod
    def from_target(cls, target: Mapping[str, Any]) -> "NewsletterPublisher":
        """From {"kind": "newsletter", "host": …, "port": 587, "security": "starttls", "username": …,
        "password_env"|"password_file": …, "sender": …, "recipients": [...]}; raises InvalidTarget."""
        fields = validate_target(target)
        password = read_secret_ref(fields, "password", kind=KIND_NAME) if fields.get("username") else None
        return cls(host=fields["host"], sender=fields["sender"], recipients=fields["recipients"],
                   port=fields.get("port"), security=fields.get("security", "starttls"),
                   username=fields.get("username"), password=password, reply_to=fields.get("reply_to"),
                   timeout_s=float(fields.get("timeout_s") or 30))

    # -- issues -----------------------------------------------------------------------------

    def compose(self, subject: str, intro: str, items: Sequence[IssueItem]) -> EmailMessage:
        """The issue as an email: the intro and captions as text, each picture attached under its random
        name; raises PublishRefused for an empty issue, a bad subject or an issue too big to send."""
        subject = (subject or "").strip()
        if not subject or len(subject) > 200 or _HEADER_UNSAFE.search(subject):
            raise PublishRefused("the subject must be one line of at most 200 characters")
        if not items:
            raise PublishRefused("an issue needs at least one picture")
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        # Families must not see each other's addresses: they are envelope recipients only.
        message["To"] = self.sender
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rsplit("@", 1)[1])
        lines = [intro.strip(), ""] if intro and intro.strip() else []
        for number, item in enumerate(items, start=1):
            lines.append(f"Picture {number}: {item.caption}" if item.caption else f"Picture {number}")
        message.set_content("\n".join(lines) + "\n")
        total = 0
        for item in items:
            check_object_name(item.object_name)
            try:
                data = Path(item.path).read_bytes()
            except OSError as exc:
                raise PublishRefused(f"{item.path} cannot be read: {exc.strerror}") from None
            total += len(data)
            maintype, _, subtype = item.content_type.partition("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=item.object_name)
        if total * 4 // 3 > MAX_ISSUE_BYTES:
            raise PublishRefused(f"the issue is {total // (1024 * 1024)} MB of pictures; mail servers refuse "
                                 "messages much over 20 MB: send fewer pictures or no videos")
        return message

    def send(self, message: EmailMessage) -> list[str]:
        """Send a composed issue to every recipient; returns the addresses the server refused (the
        others were sent it). Raises PublisherUnavailable (nothing was accepted, retry later) or
        PublisherMisconfigured (wrong server or login, every address refused)."""
        with self._translated("sending the newsletter"):
            with self._connect() as smtp:
                refused = smtp.send_message(message, from_addr=self.sender, to_addrs=self.recipients)
        return sorted(refused)

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password.read())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _translated(self, action: str):
        return _SmtpErrors(f"cannot finish {action} through {self.host}:{self.port}")

    # -- the Publisher interface ------------------------------------------------------------

    def ref_for(self, object_name: str) -> PublishedRef:
        return PublishedRef(object_name=object_name, location=f"newsletter from {self.sender}")

    def _publish(self, source: Path, object_name: str, content_type: str) -> PublishedRef:
        raise PublishRefused("newsletter pictures go out in an issue the Manager sends, not one by one")

    def _publish_captioned(self, source: Path, object_name: str, content_type: str,
                           caption: str | None) -> PublishedRef:
        return self._publish(source, object_name, content_type)

    def _remove(self, object_name: str) -> None:
        """Nothing to delete: the copies are in people's mailboxes; the gate records that it cannot recall them."""

    def _exists(self, object_name: str) -> bool:
        return False  # the gatekeeper keeps no copy of what it sent

    def check(self) -> None:
        """The mail server answers, and accepts the login when one is set."""
        with self._translated("checking the mail server"):
            with self._connect() as smtp:
                smtp.noop()

    def describe(self) -> str:
        login = f" as {self.username} (password from {self.password.describe()})" if self.username else ""
        return (f"newsletter from {self.sender} to {len(self.recipients)} recipient(s) via "
                f"{self.host}:{self.port} ({self.security}){login}")


class _SmtpErrors:
    """Turns smtplib's and the socket's errors into ours at the adapter's edge."""

    def __init__(self, where: str):
        self.where = where

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, PublisherError):
            return False
        raise _translate(exc, self.where) from None


def _translate(exc: BaseException, where: str) -> BaseException:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return PublisherMisconfigured(f"{where}: the mail server refused the login ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PublisherMisconfigured(f"{where}: the mail server does not offer {exc}; check security in the target")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return PublisherMisconfigured(f"{where}: the mail server refused every recipient")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        if 400 <= exc.smtp_code < 500:
            return PublisherUnavailable(f"{where}: the mail server asked to try later ({exc.smtp_code} {text})")
        return PublisherMisconfigured(f"{where}: the mail server refused the message ({exc.smtp_code} {text})")
    if isinstance(exc, ssl.SSLError):
        return PublisherMisconfigured(f"{where}: the secure connection failed ({exc.reason or exc})")
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError)):
        return PublisherUnavailable(f"{where}: the mail server cannot be reached now ({exc.__class__.__name__})")
    if isinstance(exc, smtplib.SMTPException):
        return PublisherMisconfigured(f"{where}: {exc}")
    return exc


def validate_target(target: Mapping[str, Any]) -> dict[str, Any]:
    """The checked fields of a newsletter target; raises InvalidTarget with a sentence for the Manager."""
    fields = read_fields(target, kind=KIND_NAME, required=TARGET_REQUIRED, optional=TARGET_OPTIONAL)
    security = fields.get("security", "starttls")
    if security not in SECURITY:
        raise InvalidTarget(f"security in the newsletter target must be one of {', '.join(SECURITY)}")
    if security == "none" and fields["host"] not in _LOOPBACK:
        raise InvalidTarget("security 'none' is only for a mail server on this machine: the newsletter's "
                            "pictures would cross the network readable")
    port = fields.get("port")
    if port is not None and not 1 <= port <= 65535:
        raise InvalidTarget("port in the newsletter target must be between 1 and 65535")
    for key in ("sender", "reply_to"):
        if fields.get(key) is not None and not _ADDRESS.match(fields[key]):
            raise InvalidTarget(f"{key} in the newsletter target must be an email address")
    recipients = fields["recipients"]
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise InvalidTarget(f"the newsletter target needs between 1 and {MAX_RECIPIENTS} recipients")
    bad = [str(r) for r in recipients if not isinstance(r, str) or not _ADDRESS.match(r)]
    if bad:
        raise InvalidTarget(f"these newsletter recipients are not email addresses: {', '.join(bad[:5])}")
    if len(set(r.lower() for r in recipients)) != len(recipients):
        raise InvalidTarget("the newsletter recipients list has the same address twice")
    if fields.get("username"):
        read_secret_ref(fields, "password", kind=KIND_NAME)
    elif fields.get("password_env") or fields.get("password_file"):
        raise InvalidTarget("the newsletter target names a password but no username")
    timeout = fields.get("timeout_s")
    if timeout is not None and not 1 <= timeout <= 300:
        raise InvalidTarget("timeout_s in the newsletter target must be between 1 and 300 seconds")
    return fields


KIND = ChannelKind(
    name=KIND_NAME, label="A newsletter sent by email", where="in the setting's newsletter, emailed to the families on its list",
    takeback=NewsletterPublisher.can_take_back, make=NewsletterPublisher.from_target,
    fields=(
        TargetField("host", "Mail server", required=True),
        TargetField("sender", "Sent from (an email address)", required=True),
        TargetField("recipients", "Sent to (email addresses, separated by commas)", type=list, required=True),
        TargetField("port", "Mail server port", type=int),
        TargetField("security", "Connection security (starttls, ssl or none)"),
        TargetField("username", "Mail server user name"),
        TargetField("password_env", "Mail server password: name of the environment variable holding it",
                    help="The password itself never goes in the database: the operator puts it in the "
                         "gatekeeper's environment or in a private file, and names that here."),
        TargetField("password_file", "…or the private file holding it (an absolute path)"),
        TargetField("reply_to", "Replies go to"),
        TargetField("timeout_s", "Seconds to wait for the mail server", type=int),
    ),
)
