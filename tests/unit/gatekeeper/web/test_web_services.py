"""The web services on their own: throttle windows, session expiry, mail failures, invitation expiry."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from consent_db.audit import CLI
from consent_db.models import Account, SessionStage
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.services import invitations, mail, sessions, throttle
from gatekeeper.web.services.passwords import hasher_for


def test_failures_older_than_the_window_are_forgotten_and_a_lock_ends(app):
    policy = throttle.Policy(account_failures=2, window=timedelta(minutes=15))
    keys = throttle.keys_for("A@B.test ", "10.0.0.1")
    assert keys == ["account:a@b.test", "address:10.0.0.1"]
    start = now()
    with transaction(app) as db:
        throttle.record_failure(db, keys, policy, at=start)
        throttle.record_failure(db, keys, policy, at=start + timedelta(minutes=20))
        throttle.check(db, keys, at=start + timedelta(minutes=20))
        throttle.record_failure(db, keys, policy, at=start + timedelta(minutes=21))
        with pytest.raises(throttle.Throttled) as locked:
            throttle.check(db, keys, at=start + timedelta(minutes=22))
        assert locked.value.minutes == 14
        throttle.check(db, keys, at=start + timedelta(minutes=37))


def test_a_session_ends_when_it_expires_or_its_account_is_disabled(app, world):
    at = now()
    with transaction(app) as db:
        account = db.get(Account, world.parent_id)
        token = sessions.start(db, account, stage=SessionStage.READY, device_id=None, at=at, lifetime=timedelta(hours=1))
        assert sessions.find(db, token, at=at) is not None
        assert sessions.find(db, token, at=at + timedelta(hours=1)) is None
        assert sessions.find(db, "made-up", at=at) is None
        account.disabled = True
        db.flush()
        assert sessions.find(db, token, at=at) is None
        with pytest.raises(ValueError):
            sessions.end_all(db, at=at)


def test_an_unreachable_smtp_server_is_a_plain_mail_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sender = mail.SmtpMailer({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_USERNAME": "", "SMTP_PASSWORD": "",
                              "SMTP_FROM": "", "SMTP_STARTTLS": False})
    with pytest.raises(mail.MailError, match="hand the link over"):
        sender.send("x@y.zz", "subject", "body")


def test_the_app_has_no_mailer_unless_smtp_is_configured(app):
    assert mail.mailer(app) is None


def test_an_expired_invitation_cannot_be_used(app, world):
    at = now()
    with transaction(app) as db:
        _, token = invitations.invite(db, setting_id=world.setting_id, role="manager", email="late@acorns.test",
                                      actor=CLI, at=at - timedelta(days=8), lifetime=timedelta(days=7))
        with pytest.raises(invitations.InvalidInvitation):
            invitations.accept(db, token, "long enough pass", at=at, hasher=hasher_for(app.config))
        assert invitations.pending(db, setting_id=world.setting_id, at=at) == []
