"""A way back in, and invitations that cannot be turned against people: reset links by email, the
Manager's one-time passwords, cancelled invitations, and links only from PUBLIC_URL."""
from __future__ import annotations

import re
import threading
import time

from sqlalchemy import func, select, update

from consent_db.models import AuditEvent, Invitation
from consent_db.models import signin as signin_models
from gatekeeper.database import transaction
from gatekeeper.web.services import mail
from tests.web_world import PASSWORD, post

PUBLIC_URL = "https://photos.example.org"
NEW_PASSWORD = "a brand new passphrase"


class RecordingMailer(mail.Mailer):
    """Records what it sends (from the sending thread); wait() returns once `count` have gone."""

    def __init__(self, hold: threading.Event | None = None):
        self.sent, self.hold, self.changed = [], hold, threading.Condition()

    def send(self, to, subject, body):
        if self.hold is not None:
            self.hold.wait(10)
        with self.changed:
            self.sent.append((to, subject, body))
            self.changed.notify_all()

    def wait(self, count: int) -> list:
        with self.changed:
            self.changed.wait_for(lambda: len(self.sent) >= count, timeout=10)
        time.sleep(0.1)  # and nothing more comes
        return list(self.sent)


def tags(app) -> list[str]:
    with transaction(app) as db:
        return list(db.scalars(select(AuditEvent.tag).order_by(AuditEvent.id)))


def count(app, model) -> int:
    with transaction(app) as db:
        return db.scalar(select(func.count()).select_from(model))


def sign_in(app, client, email, password=PASSWORD):
    return post(app, client, "/signin", {"email": email, "password": password})


def from_evil_host(app, client):
    """The client's session cookie also sent to a request for Host: evil.example."""
    name = app.config["SESSION_COOKIE_NAME"]
    post(app, client, "/signin/forgot", {})  # makes sure the CSRF token is in the cookie
    client.set_cookie(name, client.get_cookie(name).value, domain="evil.example")


def test_without_public_url_no_invitation_is_made_whatever_the_host_header_says(app, world, manager):
    from_evil_host(app, manager)
    response = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"},
                    base_url="http://evil.example")
    assert response.status_code == 400 and "PUBLIC_URL" in response.data.decode()
    assert "evil.example" not in response.data.decode()
    assert count(app, Invitation) == 0


def test_an_invitation_link_is_built_from_public_url_not_the_host_header(app, world, manager):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    from_evil_host(app, manager)
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"},
                base_url="http://evil.example").data.decode()
    link = re.search(r'id="invitation-link">([^<]+)<', page).group(1)
    assert link.startswith(PUBLIC_URL + "/invite/")


def test_the_manager_cancels_an_invitation_and_its_link_stops_working(app, world, manager):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"}).data.decode()
    path = re.search(r'id="invitation-link">([^<]+)<', page).group(1)[len(PUBLIC_URL):]
    with transaction(app) as db:
        invitation_id = db.scalar(select(Invitation.id))
    assert post(app, manager, f"/manager/accounts/invitations/{invitation_id}/cancel").status_code == 302
    assert app.test_client().get(path).status_code == 404
    assert "Invitations not used yet" not in manager.get("/manager/accounts").data.decode()
    assert "account:invitation-cancelled" in tags(app)


def test_cancelling_an_unknown_invitation_is_a_plain_error(app, world, manager):
    assert post(app, manager, "/manager/accounts/invitations/999/cancel").status_code == 400


def test_the_manager_resets_a_parents_password_to_a_one_time_one(app, world, manager, parent):
    page = post(app, manager, f"/manager/accounts/{world.parent_id}/reset-password").data.decode()
    one_time = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
    assert parent.get("/family").status_code == 302, "the parent's sessions end"
    assert sign_in(app, app.test_client(), world.parent_email).status_code == 401
    client = app.test_client()
    assert sign_in(app, client, world.parent_email, one_time).status_code == 302
    assert client.get("/").location.endswith("/account/password")
    assert "account:password-reset" in tags(app)


def test_the_manager_cannot_reset_a_managers_password_from_the_web(app, world, manager):
    response = post(app, manager, f"/manager/accounts/{world.manager_id}/reset-password")
    assert response.status_code == 400 and "gatekeeper accounts reset-password" in response.data.decode()


def test_without_smtp_the_forgotten_password_page_says_to_ask_the_manager(app, world):
    page = app.test_client().get("/signin/forgot").data.decode()
    assert 'id="ask-the-manager"' in page
    assert post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email}).status_code == 200


def test_a_reset_link_is_emailed_for_a_known_address_and_the_answer_is_the_same_for_an_unknown_one(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    known = post(app, app.test_client(), "/signin/forgot", {"email": " Anne@Family.test"}).data.decode()
    unknown = post(app, app.test_client(), "/signin/forgot", {"email": "nobody@nowhere.test"}).data.decode()
    assert re.search(r'id="reset-sent">([^<]+)<', known).group(1) == re.search(r'id="reset-sent">([^<]+)<', unknown).group(1)
    sent = mailer.wait(1)
    assert [to for to, _, _ in sent] == [world.parent_email]
    link = re.search(r"(https://\S+)", sent[0][2]).group(1)
    assert link.startswith(PUBLIC_URL + "/signin/reset/")
    token = link.rsplit("/", 1)[1]
    with transaction(app) as db:
        assert db.scalar(select(signin_models.PasswordReset.token_hash)) != token


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, world, parent):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email})
    path = re.search(r"https://\S+", mailer.wait(1)[0][2]).group(0)[len(PUBLIC_URL):]
    client = app.test_client()
    weak = post(app, client, path, {"new_password": "password1234", "confirm_password": "password1234"})
    assert weak.status_code == 400
    done = post(app, client, path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert parent.get("/family").status_code == 302
    assert sign_in(app, app.test_client(), world.parent_email, NEW_PASSWORD).status_code == 302
    again = post(app, app.test_client(), path, {"new_password": "another passphrase!", "confirm_password": "another passphrase!"})
    assert again.status_code == 404
    assert "account:password-reset" in tags(app)


def test_an_expired_reset_link_is_refused(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email})
    path = re.search(r"https://\S+", mailer.wait(1)[0][2]).group(0)[len(PUBLIC_URL):]
    with transaction(app) as db:
        resets = signin_models.PasswordReset
        db.execute(update(resets).values(expires_at=resets.created_at))
    assert app.test_client().get(path).status_code == 404


def test_reset_requests_for_one_email_from_one_address_are_throttled(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    statuses = [post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email}).status_code
                for _ in range(7)]
    assert statuses[-1] == 429 and len(mailer.wait(5)) == 5


def test_reset_requests_from_many_addresses_send_one_inbox_at_most_five_emails_an_hour(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    answers = [post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email},
                    environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}) for n in range(8)]
    assert {a.status_code for a in answers} == {200}
    assert len({re.search(r'id="reset-sent">([^<]+)<', a.data.decode()).group(1) for a in answers}) == 1
    sent = mailer.wait(5)
    time.sleep(0.2)
    assert len(mailer.sent) == 5
    # The requests that sent nothing did not replace the newest link: it still works (and only it).
    links = [re.search(r"https://\S+", body).group(0)[len(PUBLIC_URL):] for _, _, body in sent]
    assert [app.test_client().get(link).status_code for link in links].count(200) == 1


def test_a_slow_mail_server_does_not_hold_up_the_answer(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    release = threading.Event()
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer(hold=release)
    response = post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email})
    assert response.status_code == 200 and mailer.sent == [], "answered while the mail was still being sent"
    release.set()
    assert len(mailer.wait(1)) == 1


def test_a_reset_request_for_an_unknown_email_is_logged_too(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = RecordingMailer()
    post(app, app.test_client(), "/signin/forgot", {"email": "nobody@nowhere.test"})
    assert tags(app)[-1] == "account:password-reset-requested"


def test_the_owner_is_told_by_email_when_their_password_changes(app, world, manager, parent):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    post(app, parent, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                            "confirm_password": NEW_PASSWORD})
    post(app, manager, f"/manager/accounts/{world.other_parent_id}/reset-password")
    sent = mailer.wait(2)
    assert sorted(to for to, _, _ in sent) == sorted([world.parent_email, world.other_parent_email])
    assert all(subject == "Your Little Acorns Photo Gatekeeper password was changed" for _, subject, _ in sent)
