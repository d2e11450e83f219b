"""The web services on their own: throttle windows, session expiry, mail failures, invitation expiry."""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from consent_db import invitations
from consent_db.accounts import end_sessions
from consent_db.audit import CLI
from consent_db.models import Account, SessionStage
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.services import mail, sessions, throttle
from gatekeeper.web.services.passwords import hasher_for


def test_attempts_older_than_the_window_are_forgotten_and_a_lock_ends(app):
    rule = throttle.Rule(limit=2, window=timedelta(minutes=15))
    key = throttle.pair_key("A@B.test ", "10.0.0.1")
    assert key == "pair:a@b.test|10.0.0.1"
    start = now()
    with transaction(app) as db:
        throttle.attempt(db, key, rule, at=start)
        throttle.attempt(db, key, rule, at=start + timedelta(minutes=20))
        throttle.attempt(db, key, rule, at=start + timedelta(minutes=21))
        with pytest.raises(throttle.Throttled) as locked:
            throttle.attempt(db, key, rule, at=start + timedelta(minutes=22))
        assert locked.value.minutes == 15
        assert throttle.locked_until(db, key, at=start + timedelta(minutes=36)) is not None
        throttle.attempt(db, key, rule, at=start + timedelta(minutes=37))


def test_each_lock_in_a_row_lasts_twice_as_long_up_to_a_day(app):
    rule = throttle.Rule(limit=1, window=timedelta(minutes=10))
    key, at = "pair:x@y.test|10.0.0.2", now()
    lengths = []
    with transaction(app) as db:
        for _ in range(10):
            throttle.count(db, key, rule, at=at)
            counted = throttle.count(db, key, rule, at=at)
            lengths.append(counted.locked_until - at)
            at = counted.locked_until
    assert lengths[:4] == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40), timedelta(minutes=80)]
    assert lengths[-1] == throttle.MAX_LOCK


def test_a_key_left_alone_for_a_day_starts_again_from_the_shortest_lock(app):
    rule = throttle.Rule(limit=1, window=timedelta(minutes=10))
    key, at = "pair:x@y.test|10.0.0.3", now()
    with transaction(app) as db:
        for _ in range(3):
            throttle.count(db, key, rule, at=at)
            at = throttle.count(db, key, rule, at=at).locked_until
        at += timedelta(days=2)
        throttle.count(db, key, rule, at=at)
        assert throttle.count(db, key, rule, at=at).locked_until - at == timedelta(minutes=10)


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
            end_sessions(db, at=at)


def test_an_unreachable_smtp_server_is_a_plain_mail_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sender = mail.SmtpMailer({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_USERNAME": "", "SMTP_PASSWORD": "",
                              "SMTP_FROM": "", "SMTP_STARTTLS": False})
    with pytest.raises(mail.MailError, match="could not be sent"):
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


@pytest.mark.parametrize("url", ["mysql://localhost/x", "http://redis.example", "redis"])
def test_a_throttle_url_that_is_not_redis_is_refused_at_start_up(url, instance_dir):
    from gatekeeper import create_app
    from gatekeeper.config import ConfigError

    with pytest.raises(ConfigError, match="THROTTLE_URL"):
        create_app({"TESTING": True, "THROTTLE_URL": url, "JOBS_URL": "memory://"}, instance_dir=str(instance_dir))


def test_the_throttle_counts_in_the_database_unless_a_redis_url_is_given():
    from gatekeeper.web.services import throttle_redis

    assert isinstance(throttle.counters_for({"THROTTLE_URL": ""}, session=object()), throttle.DatabaseCounters)
    chosen = throttle.counters_for({"THROTTLE_URL": "redis://127.0.0.1:1/0", "SECRET_KEY": "k"}, session=object())
    assert isinstance(chosen, throttle_redis.RedisCounters)
    # Two instances sharing one Redis never share keys; every host of one instance does.
    assert throttle_redis.prefix_for("k") == chosen.prefix != throttle_redis.prefix_for("other")


def test_sign_in_with_the_redis_counter_unreachable_is_refused_before_the_password_is_checked(
        instance_dir, migrated_db, monkeypatch):
    import shutil

    from consent_db import accounts
    from gatekeeper import create_app
    from gatekeeper.database import session_factory

    database = instance_dir / "gatekeeper.db"
    shutil.copy(migrated_db, database)
    # Nothing listens on port 1: the counter cannot be reached.
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://",
                      "WTF_CSRF_ENABLED": False, "DATABASE_URL": f"sqlite:///{database}",
                      "THROTTLE_URL": "redis://127.0.0.1:1/0"}, instance_dir=str(instance_dir))
    checked = []
    monkeypatch.setattr(accounts, "authenticate", lambda *a, **k: checked.append(1))
    response = app.test_client().post("/signin", data={"email": "a@b.test", "password": "whatever it is"})
    assert response.status_code == 503
    assert b"attempt counter cannot be reached" in response.data
    assert checked == []
    session_factory(app).kw["bind"].dispose()
