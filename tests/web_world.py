"""A small setting for web tests: a Manager with two-factor, a staff member on a tablet, two families."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer

from consent_db import accounts, devices, records
from consent_db.audit import CLI
from consent_db.models import SessionStage
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import DEVICE_COOKIE, SESSION_KEY
from gatekeeper.web.services import sessions, two_factor
from gatekeeper.web.services.passwords import hasher_for

PASSWORD = "correct horse battery"
FAST_ARGON2 = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}


@dataclass
class World:
    setting_id: int
    manager_id: int
    manager_email: str
    totp_secret: str
    staff_person_id: int
    staff_id: int
    staff_email: str
    device_id: int
    device_token: str
    website_id: int
    newsletter_id: int
    child_id: int
    guardian_id: int
    parent_id: int
    parent_email: str
    other_child_id: int
    other_guardian_id: int
    other_parent_id: int
    other_parent_email: str


def build_world(app) -> World:
    """Create the setting's records, accounts and one paired tablet."""
    hasher = hasher_for(app.config)
    secret = two_factor.new_secret()
    with transaction(app) as db:
        setting = records.ensure_default_setting(db, name="Little Acorns")
        sid = setting.id
        manager = accounts.create_account(db, setting_id=sid, email="manager@acorns.test", password=PASSWORD,
                                          role="manager", hasher=hasher)
        two_factor.enrol(db, manager, secret, enrolment_code(secret), data_key=app.config["DATA_KEY"], actor=CLI)
        staff_person = records.add_person(db, records.check_person(kind="staff", first_name="Sam", surname="Staff"),
                                          setting_id=sid, actor=CLI)
        staff = accounts.create_account(db, setting_id=sid, email="sam@acorns.test", password=PASSWORD, role="staff",
                                        person_id=staff_person.id, hasher=hasher)
        code = devices.issue_pairing_code(db, setting_id=sid, actor=CLI)
        token = devices.pair_device(db, code=code, name="Rainbow room tablet")
        device = devices.device_for_token(db, token)
        website = records.add_channel(db, setting_id=sid, slug="website", name="Our website",
                                      description="Photos on the setting's public website.", actor=CLI)
        newsletter = records.add_channel(db, setting_id=sid, slug="newsletter", name="Newsletter",
                                         description="The monthly newsletter emailed to families.", actor=CLI)
        child = records.add_person(db, records.check_person(kind="child", first_name="Ada", surname="Lovelace"),
                                   setting_id=sid, actor=CLI)
        guardian = records.add_guardian(db, setting_id=sid, name="Anne Lovelace", email="anne@family.test",
                                        child_id=child.id, actor=CLI)
        parent = accounts.create_account(db, setting_id=sid, email="anne@family.test", password=PASSWORD,
                                         role="parent", guardian_id=guardian.id, hasher=hasher)
        other_child = records.add_person(db, records.check_person(kind="child", first_name="Bo", surname="Other"),
                                         setting_id=sid, actor=CLI)
        other_guardian = records.add_guardian(db, setting_id=sid, name="Olly Other", email="olly@other.test",
                                              child_id=other_child.id, actor=CLI)
        other_parent = accounts.create_account(db, setting_id=sid, email="olly@other.test", password=PASSWORD,
                                               role="parent", guardian_id=other_guardian.id, hasher=hasher)
        return World(sid, manager.id, manager.email, secret, staff_person.id, staff.id, staff.email, device.id, token,
                     website.id, newsletter.id, child.id, guardian.id, parent.id, parent.email,
                     other_child.id, other_guardian.id, other_parent.id, other_parent.email)


def _code(secret: str) -> str:
    import pyotp

    return pyotp.TOTP(secret).now()


def enrolment_code(secret: str) -> str:
    """A code of the step before now: enrolling uses it up, so the code of now still signs in once."""
    import time

    import pyotp

    return pyotp.TOTP(secret).at(time.time() - 30)


def totp_now(world: World) -> str:
    return _code(world.totp_secret)


def sign_in_directly(app, client, account_id: int, *, device_token: str | None = None,
                     stage: SessionStage = SessionStage.READY) -> None:
    """Give the test client a live session without the (deliberately slow) password check."""
    with transaction(app) as db:
        from consent_db.models import Account

        account = db.get(Account, account_id)
        device = devices.device_for_token(db, device_token) if device_token else None
        token = sessions.start(db, account, stage=stage, device_id=device.id if device else None, at=now(),
                               lifetime=timedelta(hours=1))
    if device_token:
        client.set_cookie(DEVICE_COOKIE, device_token)
    with client.session_transaction() as sess:
        sess[SESSION_KEY] = token


def csrf_token(app, client) -> str:
    """A valid CSRF form token for the client's session, as Flask-WTF would render it."""
    with client.session_transaction() as sess:
        raw = sess.setdefault("csrf_token", secrets.token_hex(20))
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def post(app, client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(app, client)}, **kwargs)
