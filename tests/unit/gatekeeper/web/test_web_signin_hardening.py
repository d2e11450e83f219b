"""Sign-in hardening (OWASP ASVS 2 and 3): equal cost for unknown emails, the password policy, session
tokens rotated at each step, idle timeout, the __Host- cookie, the pending two-factor key kept
server-side, recovery codes, and the security log."""
from __future__ import annotations

import re
import shutil
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from consent_db import accounts
from consent_db.models import AuditEvent, SessionStage, WebSession
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import SESSION_KEY
from gatekeeper.web.services.passwords import hasher_for
from tests.web_world import FAST_ARGON2, PASSWORD, post, sign_in_directly, totp_now


def sign_in(app, client, email, password=PASSWORD):
    return post(app, client, "/signin", {"email": email, "password": password})


def tags(app) -> list[str]:
    with transaction(app) as db:
        return list(db.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))


@pytest.fixture
def argon2_runs(monkeypatch):
    runs = []
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self, *args, **kwargs):
        runs.append("hash")
        return real_hash(self, *args, **kwargs)

    def counting_verify(self, *args, **kwargs):
        runs.append("verify")
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    return runs


def test_an_unknown_email_costs_exactly_one_argon2_run_like_a_known_one(app, world, argon2_runs):
    sign_in(app, app.test_client(), "first-unknown@nowhere.test", "wrong password!")
    for email in ("unknown@nowhere.test", world.parent_email):
        argon2_runs.clear()
        assert sign_in(app, app.test_client(), email, "wrong password!").status_code == 401
        assert argon2_runs == ["verify"], email


@pytest.mark.parametrize("password", [
    "aaaaaaaaaaaa", "password1234", "password123456", "qwertyuiop12", "123456789012", "abcabcabcabc",
    "short pass", "eleven char",
])
def test_short_common_and_trivial_passwords_are_refused(app, world, password):
    with transaction(app) as db, pytest.raises(accounts.WeakPassword):
        accounts.set_password(db, world.parent_id, password, actor=accounts.SYSTEM, hasher=hasher_for(app.config))


@pytest.mark.parametrize("password", ["anne@family.test", "Anne@Family.test 2026", "my name is lovelace!"])
def test_a_password_containing_the_accounts_own_email_or_name_is_refused(app, world, password):
    with transaction(app) as db, pytest.raises(accounts.WeakPassword, match="name or email"):
        accounts.set_password(db, world.parent_id, password, actor=accounts.SYSTEM, hasher=hasher_for(app.config))


def test_a_long_passphrase_of_up_to_128_characters_is_accepted_and_no_longer(app, world):
    with transaction(app) as db:
        accounts.set_password(db, world.parent_id, "x" + "quiet river stones " * 6 + "y" * 13,
                              actor=accounts.SYSTEM, hasher=hasher_for(app.config))
        with pytest.raises(accounts.WeakPassword, match="at most 128"):
            accounts.set_password(db, world.parent_id, "quiet river stones " * 7, actor=accounts.SYSTEM,
                                  hasher=hasher_for(app.config))


def test_the_session_token_changes_after_the_password_and_again_after_two_factor(app, world):
    client = app.test_client()
    sign_in(app, client, world.manager_email)
    with client.session_transaction() as sess:
        after_password = sess[SESSION_KEY]
    assert post(app, client, "/signin/two-factor", {"code": totp_now(world)}).status_code == 302
    with client.session_transaction() as sess:
        assert sess[SESSION_KEY] != after_password
    stolen = app.test_client()
    with stolen.session_transaction() as sess:
        sess[SESSION_KEY] = after_password
    assert stolen.get("/manager/people").status_code == 302
    assert client.get("/manager/people").status_code == 200


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_staff_and_manager_sessions_end_after_thirty_idle_minutes(app, world, who, request):
    client = request.getfixturevalue(who)
    home = "/manager/people" if who == "manager" else "/staff/upload"
    assert client.get(home).status_code == 200
    with transaction(app) as db:
        db.execute(update(WebSession).values(last_seen_at=now() - timedelta(minutes=31)))
    assert client.get(home).status_code == 302


def test_a_parent_session_is_not_ended_by_the_idle_timeout(app, world, parent):
    with transaction(app) as db:
        db.execute(update(WebSession).values(last_seen_at=now() - timedelta(minutes=31)))
    assert parent.get("/family").status_code == 200


def test_over_tls_the_session_cookie_is_host_prefixed(instance_dir, migrated_db):
    from gatekeeper import create_app
    from tests.web_world import build_world

    db_path = instance_dir / "gatekeeper.db"
    shutil.copy(migrated_db, db_path)
    app = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": True, "JOBS_URL": "memory://",
                      "DATABASE_URL": f"sqlite:///{db_path}", **FAST_ARGON2}, instance_dir=str(instance_dir))
    world = build_world(app)
    client = app.test_client()
    response = post(app, client, "/signin", {"email": world.parent_email, "password": PASSWORD},
                    base_url="https://localhost", headers={"Referer": "https://localhost/signin"})
    assert response.status_code == 302, response.data
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-gk_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_https_responses_ask_for_https_on_subdomains_too(client):
    hsts = client.get("/signin", base_url="https://localhost").headers["Strict-Transport-Security"]
    assert "includeSubDomains" in hsts and "max-age=31536000" in hsts


def test_the_two_factor_key_being_set_up_is_not_in_the_cookie(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP_SETUP)
    page = client.get("/signin/two-factor/setup").data.decode()
    key = page.split('id="totp-key">')[1].split("<")[0].replace(" ", "")
    with client.session_transaction() as sess:
        assert all(key not in str(value) for value in sess.values())
    again = client.get("/signin/two-factor/setup").data.decode()
    assert again.split('id="totp-key">')[1].split("<")[0].replace(" ", "") == key
    with transaction(app) as db:
        assert all(key not in (row.pending_totp_secret or "") for row in db.scalars(select(WebSession)))


def _set_up_two_factor(app, client, world) -> list[str]:
    sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP_SETUP)
    page = client.get("/signin/two-factor/setup").data.decode()
    key = page.split('id="totp-key">')[1].split("<")[0].replace(" ", "")
    done = post(app, client, "/signin/two-factor/setup", {"code": pyotp.TOTP(key).now()}).data.decode()
    return re.findall(r"<li>([a-z0-9-]+)</li>", done.split('id="recovery-codes"')[1].split("</ul>")[0])


def test_two_factor_set_up_shows_ten_recovery_codes_once_each_signing_in_once(app, world):
    codes = _set_up_two_factor(app, app.test_client(), world)
    assert len(codes) == 10 and len(set(codes)) == 10
    first = app.test_client()
    sign_in(app, first, world.manager_email)
    assert post(app, first, "/signin/two-factor", {"code": codes[0]}).status_code == 302
    assert first.get("/manager/people").status_code == 200
    again = app.test_client()
    sign_in(app, again, world.manager_email)
    refused = post(app, again, "/signin/two-factor", {"code": codes[0]})
    assert refused.status_code == 401 and b"recovery code" in refused.data
    assert "account:recovery-code-used" in tags(app)


def test_wrong_two_factor_codes_and_locks_are_in_the_security_log_with_the_address(app, world):
    import json

    client = app.test_client()
    sign_in(app, client, world.manager_email)
    for _ in range(6):
        post(app, client, "/signin/two-factor", {"code": "000000"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    with transaction(app) as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.tag.in_(
            ["account:two-factor-failed", "account:locked"]))).all()
    assert [e.tag for e in events].count("account:two-factor-failed") == 5
    assert [e.tag for e in events].count("account:locked") == 1
    assert all(json.loads(e.details)["address"] == "192.0.2.9" for e in events)
    assert all(e.subject == f"account:{world.manager_id}" for e in events)


def test_a_manager_who_lost_the_phone_signs_in_with_a_recovery_code_and_sets_up_two_factor_again(app, world):
    codes = _set_up_two_factor(app, app.test_client(), world)
    client = app.test_client()
    sign_in(app, client, world.manager_email)
    post(app, client, "/signin/two-factor", {"code": codes[1]})
    wrong = post(app, client, "/account/two-factor", {"current_password": "not my password"})
    assert wrong.status_code == 400
    renewed = post(app, client, "/account/two-factor", {"current_password": PASSWORD})
    assert renewed.location.endswith("/signin/two-factor/setup")
    assert client.get("/manager/people").status_code == 302, "no Manager pages until two-factor is set up again"
    page = client.get("/signin/two-factor/setup").data.decode()
    key = page.split('id="totp-key">')[1].split("<")[0].replace(" ", "")
    done = post(app, client, "/signin/two-factor/setup", {"code": pyotp.TOTP(key).now()}).data.decode()
    assert set(re.findall(r"<li>([a-z0-9-]+)</li>", done)).isdisjoint(codes)
    assert client.get("/manager/people").status_code == 200
    late = app.test_client()
    sign_in(app, late, world.manager_email)
    assert post(app, late, "/signin/two-factor", {"code": codes[2]}).status_code == 401
    assert "account:two-factor-reset" in tags(app)


def test_recovery_codes_are_kept_only_as_salted_hashes(app, world):
    import hashlib

    from consent_db.models.signin import RecoveryCode

    codes = _set_up_two_factor(app, app.test_client(), world)
    with transaction(app) as db:
        stored = list(db.scalars(select(RecoveryCode.code_hash)))
    assert len(stored) == 10 and len({value.split("$")[0] for value in stored}) == 10
    for code in codes:
        plain = code.replace("-", "")
        assert all(plain not in value and hashlib.sha256(plain.encode()).hexdigest()[:55] not in value
                   for value in stored)
