"""The setting's name on every page, invitation and email; the authority offered to tablets when HTTPS is served."""
from __future__ import annotations

import plistlib

import pytest
from cryptography import x509
from sqlalchemy import update

from consent_db.models import Setting
from gatekeeper import certificates
from gatekeeper.database import transaction
from gatekeeper.web.services import mail
from tests.unit.gatekeeper.web.test_web_manager_records import RecordingMailer
from tests.unit.gatekeeper.web.test_web_recovery import RecordingMailer as ThreadedMailer
from tests.web_world import post

PUBLIC_URL = "https://acorns.local:8443"


def serve_https(app, instance_dir):
    names = certificates.box_names(PUBLIC_URL, hostname="acorns", addresses=())
    certificates.create_authority(instance_dir, "Little Acorns", names)
    certificates.issue_server_certificate(instance_dir, names)
    app.config.update(HTTPS=True, PUBLIC_URL=PUBLIC_URL, PORT=8000, HTTPS_PORT=8443)


@pytest.mark.parametrize("path", ["/signin", "/device", "/signin/forgot"])
def test_the_setting_name_is_in_the_title_and_header_of_public_pages(app, world, path):
    page = app.test_client().get(path).data.decode()
    assert "· Little Acorns · Photo Gatekeeper</title>" in page
    assert '<span class="brand-setting">Little Acorns</span>' in page


def test_signed_in_pages_name_the_setting_and_a_rename_shows_at_once(app, world, manager, staff, parent):
    for client, path in ((manager, "/manager/queue"), (staff, "/staff/upload"), (parent, "/family")):
        assert "Little Acorns" in client.get(path).data.decode()
    with transaction(app) as db:
        db.execute(update(Setting).values(name="Oak Tree Nursery"))
    assert "Oak Tree Nursery · Photo Gatekeeper</title>" in manager.get("/manager/queue").data.decode()


def test_an_invitation_email_names_the_setting(app, world, manager):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = RecordingMailer()
    post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"})
    to, subject, body = mailer.sent[0]
    assert subject == "Your Little Acorns Photo Gatekeeper account"
    assert body.startswith("Little Acorns invites you") and f"{PUBLIC_URL}/invite/" in body


def test_a_shown_invitation_page_names_the_setting(app, world, manager):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"})
    link = page.data.decode().split(f"{PUBLIC_URL}/invite/")[1].split('"')[0].split("<")[0]
    assert "Little Acorns" in app.test_client().get(f"/invite/{link}").data.decode()


def test_a_password_reset_email_names_the_setting(app, world):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    app.extensions[mail.EXTENSION] = mailer = ThreadedMailer()
    post(app, app.test_client(), "/signin/forgot", {"email": world.parent_email})
    (_, subject, body), = mailer.wait(1)
    assert subject == "Choose a new Little Acorns Photo Gatekeeper password"
    assert "your Little Acorns Photo Gatekeeper password" in body


def test_without_https_served_the_trust_page_is_not_there_and_the_pairing_page_offers_nothing(app, world, manager):
    assert app.test_client().get("/trust").status_code == 404
    assert "trust-heading" not in manager.get("/manager/devices").data.decode()


def test_the_pairing_page_offers_the_authority_with_a_qr_code_and_its_fingerprint(app, world, manager, instance_dir):
    serve_https(app, instance_dir)
    page = manager.get("/manager/devices").data.decode()
    fingerprint = certificates.authority_info(instance_dir).sha256
    assert "http://acorns.local:8000/trust" in page and "<svg" in page and fingerprint in page
    assert "https://acorns.local:8443" in page
    code_page = post(app, manager, "/manager/devices/pairing-code").data.decode()
    assert f"{PUBLIC_URL}/device" in code_page, "the pairing address comes from PUBLIC_URL"


def test_the_authority_downloads_for_android_and_ios(app, world, instance_dir):
    serve_https(app, instance_dir)
    client = app.test_client()
    der = client.get("/trust/authority.crt")
    assert der.mimetype == "application/x-x509-ca-cert"
    assert "little-acorns-photo-gatekeeper.crt" in der.headers["Content-Disposition"]
    authority = x509.load_der_x509_certificate(der.data)
    assert authority.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    profile = client.get("/trust/authority.mobileconfig")
    assert profile.mimetype == "application/x-apple-aspen-config"
    payload = plistlib.loads(profile.data)["PayloadContent"][0]
    assert payload["PayloadType"] == "com.apple.security.root" and payload["PayloadContent"] == der.data
    page = client.get("/trust").data.decode()
    assert "Certificate Trust Settings" in page and "Install a certificate" in page


def test_the_trust_downloads_are_404_when_there_is_no_authority(app, world):
    app.config["HTTPS"] = True
    client = app.test_client()
    assert client.get("/trust/authority.crt").status_code == 404
    assert client.get("/trust/authority.mobileconfig").status_code == 404
    assert client.get("/trust").status_code == 404


def test_an_invitation_shown_while_https_is_served_says_how_a_phone_trusts_the_box_first(app, world, manager,
                                                                                        instance_dir):
    serve_https(app, instance_dir)
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"})
    text = page.data.decode()
    assert f"{PUBLIC_URL}/invite/" in text
    assert 'href="http://acorns.local:8000/trust"' in text.split('id="invitation-trust"')[1]
    assert certificates.authority_info(instance_dir).sha256 in text


def test_without_https_served_an_invitation_says_nothing_of_trust(app, world, manager):
    app.config["PUBLIC_URL"] = PUBLIC_URL
    page = post(app, manager, "/manager/accounts/invite", {"role": "manager", "email": "deputy@acorns.test"})
    assert f"{PUBLIC_URL}/invite/" in page.data.decode() and "invitation-trust" not in page.data.decode()
