"""Sign-in, throttling, staff only on a registered tablet, forced password change, Manager two-factor, sign-out."""
from __future__ import annotations

import pyotp
from sqlalchemy import select

from consent_db import accounts, devices
from consent_db.audit import CLI
from consent_db.models import Account, AuditEvent, SessionStage, Setting
from consent_db.timeutil import now
from gatekeeper.database import transaction
from gatekeeper.web.current import DEVICE_COOKIE
from gatekeeper.web.services.passwords import hasher_for
from tests.web_world import PASSWORD, post, sign_in_directly, totp_now


def sign_in(app, client, email, password=PASSWORD, **extra):
    return post(app, client, "/signin", {"email": email, "password": password, **extra})


def tags(app) -> list[str]:
    with transaction(app) as db:
        return list(db.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))


def test_the_sign_in_page_renders_with_labelled_fields(client):
    page = client.get("/signin").data.decode()
    assert '<label for="f-email">' in page and '<label for="f-password">' in page


def test_a_parent_signs_in_and_lands_on_their_family_page(app, world):
    client = app.test_client()
    response = sign_in(app, client, world.parent_email)
    assert response.status_code == 302
    assert client.get("/").location.endswith("/family")
    assert client.get("/family").status_code == 200
    assert "account:signed-in" in tags(app)


def test_a_wrong_password_is_refused_in_plain_words_and_audited(app, world):
    client = app.test_client()
    response = sign_in(app, client, world.parent_email, "not the password")
    assert response.status_code == 401
    assert b"The email or password is not right." in response.data
    assert tags(app)[-1] == "account:sign-in-failed"
    assert client.get("/family").status_code == 302


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(app, world):
    response = sign_in(app, app.test_client(), "nobody@nowhere.test")
    assert response.status_code == 401 and b"The email or password is not right." in response.data


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(app, world):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(app, client, world.parent_email, "wrong password!").status_code == 401
    response = sign_in(app, client, world.parent_email)
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.data


def test_guesses_at_unknown_emails_from_one_address_are_capped_after_twenty(app, world):
    client = app.test_client()
    for n in range(21):
        sign_in(app, client, f"guess{n}@nowhere.test", "wrong password!")
    response = sign_in(app, client, "guess-more@nowhere.test", "wrong password!")
    assert response.status_code == 429


def test_a_lock_on_one_address_does_not_lock_another_address(app, world):
    client = app.test_client()
    for n in range(20):
        sign_in(app, client, f"guess{n}@nowhere.test", "wrong password!")
    other = app.test_client()
    response = post(app, other, "/signin", {"email": world.other_parent_email, "password": PASSWORD},
                    environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 302


def test_a_disabled_account_cannot_sign_in(app, world):
    with transaction(app) as db:
        db.get(Account, world.parent_id).disabled = True
    assert sign_in(app, app.test_client(), world.parent_email).status_code == 401


def test_staff_cannot_sign_in_on_an_unregistered_device(app, world):
    response = sign_in(app, app.test_client(), world.staff_email)
    assert response.status_code == 403
    assert b"registered tablets" in response.data
    assert tags(app)[-1] == "account:sign-in-failed"


def test_staff_cannot_sign_in_on_a_revoked_device(app, world):
    with transaction(app) as db:
        devices.revoke(db, world.device_id, actor=CLI, setting_id=world.setting_id)
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, world.device_token)
    assert sign_in(app, client, world.staff_email).status_code == 403


def test_staff_sign_in_on_a_registered_tablet(app, world):
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, world.device_token)
    assert sign_in(app, client, world.staff_email).status_code == 302
    assert client.get("/").status_code == 302


def test_a_staff_session_ends_at_once_when_its_tablet_is_revoked(app, world, staff):
    with transaction(app) as db:
        devices.revoke(db, world.device_id, actor=CLI, setting_id=world.setting_id)
    response = staff.get("/signin")
    assert b"no longer registered" in response.data
    assert staff.get("/").location.endswith("/signin")


def test_a_staff_session_ends_when_the_device_cookie_is_gone(app, world, staff):
    staff.delete_cookie(DEVICE_COOKIE)
    assert b"no longer registered" in staff.get("/signin").data


def another_settings_tablet(app) -> str:
    """A tablet paired to a second setting on the same instance; returns its device token."""
    with transaction(app) as db:
        oaks = Setting(name="Oaks", created_at=now())
        db.add(oaks)
        db.flush()
        return devices.pair_device(db, code=devices.issue_pairing_code(db, setting_id=oaks.id, actor=CLI),
                                   name="Oaks tablet")


def test_staff_cannot_sign_in_on_another_settings_tablet(app, world):
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, another_settings_tablet(app))
    response = sign_in(app, client, world.staff_email)
    assert response.status_code == 403 and b"registered tablets" in response.data
    assert client.get("/staff/upload").status_code == 302


def test_a_staff_session_on_another_settings_tablet_ends_at_once(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.staff_id, device_token=another_settings_tablet(app))
    assert b"no longer registered" in client.get("/signin").data
    assert client.get("/staff/upload").location.startswith("/signin")


def test_a_manager_needs_a_two_factor_code_after_the_password(app, world):
    client = app.test_client()
    sign_in(app, client, world.manager_email)
    assert client.get("/manager/people").location.startswith("/signin")
    assert client.get("/").location.endswith("/signin/two-factor")
    wrong = post(app, client, "/signin/two-factor", {"code": "000000"})
    assert wrong.status_code == 401 and b"That code is not right" in wrong.data
    right = post(app, client, "/signin/two-factor", {"code": totp_now(world)})
    assert right.status_code == 302
    assert client.get("/manager/people").status_code == 200


def test_a_two_factor_code_signs_in_only_once(app, world):
    code = totp_now(world)
    first = app.test_client()
    sign_in(app, first, world.manager_email)
    assert post(app, first, "/signin/two-factor", {"code": code}).status_code == 302
    replay = app.test_client()
    sign_in(app, replay, world.manager_email)
    again = post(app, replay, "/signin/two-factor", {"code": code})
    assert again.status_code == 401 and b"used already" in again.data


def test_two_factor_guesses_are_throttled(app, world):
    client = app.test_client()
    sign_in(app, client, world.manager_email)
    for _ in range(5):
        post(app, client, "/signin/two-factor", {"code": "000000"})
    response = post(app, client, "/signin/two-factor", {"code": totp_now(world)})
    assert response.status_code == 429 and b"Too many" in response.data


def test_the_first_manager_changes_password_then_sets_up_two_factor(app, world):
    with transaction(app) as db:
        accounts.create_account(db, setting_id=world.setting_id, email="first@acorns.test", password="one-time-pass-123",
                                role="manager", must_change_password=True, hasher=hasher_for(app.config))
    client = app.test_client()
    sign_in(app, client, "first@acorns.test", "one-time-pass-123")
    assert client.get("/").location.endswith("/account/password")
    assert client.get("/manager/people").status_code == 302
    mismatch = post(app, client, "/account/password", {"new_password": "a new long password", "confirm_password": "other"})
    assert mismatch.status_code == 400 and b"not the same" in mismatch.data
    weak = post(app, client, "/account/password", {"new_password": "short", "confirm_password": "short"})
    assert weak.status_code == 400 and b"at least 12 characters" in weak.data
    done = post(app, client, "/account/password", {"new_password": "a new long password",
                                                   "confirm_password": "a new long password"})
    assert done.location.endswith("/signin/two-factor/setup")
    page = client.get("/signin/two-factor/setup").data.decode()
    key = page.split('id="totp-key">')[1].split("<")[0].replace(" ", "")
    bad = post(app, client, "/signin/two-factor/setup", {"code": "123456"})
    assert bad.status_code == 400 and b"does not match" in bad.data
    ok = post(app, client, "/signin/two-factor/setup", {"code": pyotp.TOTP(key).now()})
    assert ok.status_code == 200 and 'id="recovery-codes"' in ok.data.decode()
    assert client.get("/manager/people").status_code == 200
    assert "account:two-factor-enrolled" in tags(app)
    with transaction(app) as db:
        account = db.scalars(select(Account).where(Account.email == "first@acorns.test")).one()
        assert not account.must_change_password and account.totp_secret and key not in account.totp_secret


def test_a_signed_in_user_changes_password_with_the_current_one(app, world, parent):
    wrong = post(app, parent, "/account/password", {"current_password": "nope", "new_password": "another long one",
                                                    "confirm_password": "another long one"})
    assert wrong.status_code == 400 and b"current password is not right" in wrong.data
    ok = post(app, parent, "/account/password", {"current_password": PASSWORD, "new_password": "another long one",
                                                 "confirm_password": "another long one"})
    assert ok.status_code == 302
    assert sign_in(app, app.test_client(), world.parent_email, "another long one").status_code == 302


def test_changing_the_password_ends_the_accounts_other_sessions(app, world, parent):
    elsewhere = app.test_client()
    sign_in_directly(app, elsewhere, world.parent_id)
    post(app, parent, "/account/password", {"current_password": PASSWORD, "new_password": "another long one",
                                            "confirm_password": "another long one"})
    assert parent.get("/family").status_code == 200
    assert elsewhere.get("/family").status_code == 302


def test_sign_out_ends_the_session_on_the_server(app, world, parent):
    with parent.session_transaction() as sess:
        stolen = dict(sess)
    assert post(app, parent, "/signout").location.endswith("/signin")
    assert parent.get("/family").status_code == 302
    replay = app.test_client()
    with replay.session_transaction() as sess:
        sess.update(stolen)
    assert replay.get("/family").status_code == 302


def test_sign_in_returns_to_a_local_page_but_never_off_site(app, world):
    client = app.test_client()
    sign_in(app, client, world.parent_email, next=f"/family/child/{world.child_id}")
    assert client.get("/").location.endswith(f"/family/child/{world.child_id}")
    other = app.test_client()
    sign_in(app, other, world.parent_email, next="//evil.example/")
    assert other.get("/").location.endswith("/family")


def test_the_sign_in_page_sends_a_signed_in_user_onwards(app, parent):
    assert parent.get("/signin").location.endswith("/family")


def test_sign_in_steps_cannot_be_skipped_or_repeated(app, world):
    client = app.test_client()
    sign_in_directly(app, client, world.manager_id, stage=SessionStage.TOTP)
    assert client.get("/account/password").location.endswith("/signin/two-factor")
    assert client.get("/signin/two-factor/setup").location.endswith("/signin/two-factor")
    ready = app.test_client()
    sign_in_directly(app, ready, world.manager_id)
    assert ready.get("/signin/two-factor").location == "/manager/queue"
    anonymous = app.test_client()
    assert anonymous.get("/signin/two-factor").location.endswith("/signin")
    assert anonymous.get("/account/password").location.endswith("/signin")


def test_the_code_typed_to_set_up_two_factor_does_not_sign_in_again(app, world):
    with transaction(app) as db:
        accounts.create_account(db, setting_id=world.setting_id, email="deputy@acorns.test", password=PASSWORD,
                                role="manager", hasher=hasher_for(app.config))
    client = app.test_client()
    sign_in(app, client, "deputy@acorns.test")
    page = client.get("/signin/two-factor/setup").data.decode()
    code = pyotp.TOTP(page.split('id="totp-key">')[1].split("<")[0].replace(" ", "")).now()
    assert post(app, client, "/signin/two-factor/setup", {"code": code}).status_code == 200
    replay = app.test_client()
    sign_in(app, replay, "deputy@acorns.test")
    again = post(app, replay, "/signin/two-factor", {"code": code})
    assert again.status_code == 401 and b"used already" in again.data
    assert replay.get("/manager/queue").status_code == 302
