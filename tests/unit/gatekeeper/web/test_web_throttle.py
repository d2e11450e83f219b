"""Sign-in throttling an attacker cannot turn against others: per (email, address) pair with growing
back-off, a cap for unknown emails that never locks a known account, counted atomically, and the
client's address taken from a trusted reverse proxy."""
from __future__ import annotations

import shutil
import threading

import pytest
from sqlalchemy import select

from consent_db import devices
from consent_db.audit import CLI
from consent_db.models import AuditEvent
from gatekeeper.database import transaction
from tests.web_world import FAST_ARGON2, PASSWORD, build_world, post, totp_now

PROXY = "127.0.0.1"


def sign_in(app, client, email, password=PASSWORD, address=None, forwarded=None):
    environ = {"REMOTE_ADDR": address or PROXY}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return post(app, client, "/signin", {"email": email, "password": password}, environ_base=environ,
                headers=headers)


@pytest.fixture
def proxied(instance_dir, migrated_db):
    """The app as the README runs it: behind one reverse proxy on the same box."""
    from gatekeeper import create_app
    from gatekeeper.database import session_factory
    from gatekeeper.doctor import ensure_folders

    db_path = instance_dir / "gatekeeper.db"
    shutil.copy(migrated_db, db_path)
    application = create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://",
                              "DATABASE_URL": f"sqlite:///{db_path}", "TRUSTED_PROXY_HOPS": 1, **FAST_ARGON2},
                             instance_dir=str(instance_dir))
    ensure_folders(application)
    yield application
    session_factory(application).kw["bind"].dispose()


def failure_addresses(app) -> list[str]:
    import json

    with transaction(app) as db:
        rows = db.scalars(select(AuditEvent.details).where(AuditEvent.tag == "account:sign-in-failed"))
        return [json.loads(row).get("address") for row in rows]


def test_behind_the_proxy_made_up_emails_from_one_client_do_not_lock_out_the_others(proxied):
    world = build_world(proxied)
    attacker = proxied.test_client()
    for n in range(25):
        sign_in(proxied, attacker, f"guess{n}@nowhere.test", "wrong password!", forwarded="203.0.113.5")
    parent = proxied.test_client()
    assert sign_in(proxied, parent, world.parent_email, forwarded="198.51.100.7").status_code == 302


def test_behind_the_proxy_the_audit_log_names_the_clients_address_not_the_proxys(proxied):
    build_world(proxied)
    sign_in(proxied, proxied.test_client(), "nobody@nowhere.test", "wrong password!", forwarded="203.0.113.5")
    assert failure_addresses(proxied) == ["203.0.113.5"]


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(app, world):
    sign_in(app, app.test_client(), "nobody@nowhere.test", "wrong password!", address="192.0.2.1",
            forwarded="203.0.113.5")
    assert failure_addresses(app) == ["192.0.2.1"]


def test_failures_against_the_manager_from_one_address_do_not_lock_the_manager_out_elsewhere(app, world):
    attacker = app.test_client()
    for _ in range(12):
        sign_in(app, attacker, world.manager_email, "wrong password!", address="203.0.113.5")
    assert sign_in(app, attacker, world.manager_email, address="203.0.113.5").status_code == 429
    manager = app.test_client()
    response = sign_in(app, manager, world.manager_email, address="198.51.100.7")
    assert response.status_code == 302
    assert manager.get("/").location.endswith("/signin/two-factor")


def test_made_up_emails_never_lock_a_known_account_sharing_the_address(app, world):
    attacker = app.test_client()
    for n in range(30):
        sign_in(app, attacker, f"guess{n}@nowhere.test", "wrong password!")
    assert sign_in(app, app.test_client(), world.parent_email).status_code == 302


def test_once_the_unknown_email_cap_is_reached_a_wrong_guess_reads_the_same_for_known_and_unknown(app, world):
    attacker = app.test_client()
    for n in range(21):
        sign_in(app, attacker, f"guess{n}@nowhere.test", "wrong password!")
    unknown = sign_in(app, attacker, "someone-else@nowhere.test", "wrong password!")
    known = sign_in(app, attacker, world.other_parent_email, "wrong password!")
    assert unknown.status_code == known.status_code == 429
    assert sign_in(app, attacker, world.other_parent_email).status_code == 302


def test_parallel_wrong_passwords_get_no_more_guesses_than_the_limit(app, world, monkeypatch):
    from consent_db import accounts

    checked = []
    real = accounts.authenticate

    def counting(*args, **kwargs):
        checked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, "authenticate", counting)
    barrier = threading.Barrier(16)
    statuses = []

    def attempt():
        client = app.test_client()
        barrier.wait()
        statuses.append(sign_in(app, client, world.parent_email, "wrong password!").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == 16
    assert len(checked) == 5
    assert sorted(statuses) == [401] * 5 + [429] * 11


def test_tablet_pairing_failures_from_one_client_do_not_lock_another_behind_the_proxy(proxied):
    build_world(proxied)
    with transaction(proxied) as db:
        code = devices.issue_pairing_code(db, setting_id=1, actor=CLI)
    attacker = proxied.test_client()
    for n in range(25):
        post(proxied, attacker, "/device/pair", {"code": f"{n:06d}", "name": "Mine"},
             environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-For": "203.0.113.5"})
    tablet = proxied.test_client()
    response = post(proxied, tablet, "/device/pair", {"code": code, "name": "Blue room"},
                    environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 302


def test_two_factor_locks_grow_with_each_lock(app, world, monkeypatch):
    from datetime import timedelta

    from consent_db.models import Account
    from consent_db.timeutil import now
    from gatekeeper.web import auth
    from gatekeeper.web.services import throttle

    client = app.test_client()
    sign_in(app, client, world.manager_email)
    for _ in range(6):
        post(app, client, "/signin/two-factor", {"code": "000000"})
    with transaction(app) as db:
        key = f"totp:{db.scalars(select(Account.id).where(Account.email == world.manager_email)).one()}"
        # Whichever store THROTTLE_URL names (the database, or Redis in the PostgreSQL run).
        counters = throttle.counters_for(app.config, db)
        first = counters.locked_until(key, at=now())
    assert first is not None
    # The first lock has run out: the next round of failures locks for longer.
    later = first + timedelta(minutes=1)
    monkeypatch.setattr(auth, "now", lambda: later)
    for _ in range(6):
        post(app, client, "/signin/two-factor", {"code": "000000"})
    with transaction(app) as db:
        second = throttle.counters_for(app.config, db).locked_until(key, at=later)
    assert second is not None and second - later > timedelta(minutes=15)
    response = post(app, client, "/signin/two-factor", {"code": totp_now(world)})
    assert response.status_code == 429


def test_a_pairing_lock_is_in_the_security_log_with_the_clients_address(proxied):
    import json

    build_world(proxied)
    attacker = proxied.test_client()
    for n in range(21):
        post(proxied, attacker, "/device/pair", {"code": f"{n:06d}", "name": "Mine"},
             environ_base={"REMOTE_ADDR": PROXY}, headers={"X-Forwarded-For": "203.0.113.5"})
    with transaction(proxied) as db:
        locks = [json.loads(d) for d in db.scalars(select(AuditEvent.details).where(AuditEvent.tag == "account:locked"))]
    assert locks and locks[0]["what"] == "pairing" and locks[0]["address"] == "203.0.113.5"
