"""The newsletter publisher sending issues to a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

import hashlib

import pytest

from gatekeeper.media import sanitize_file
from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.base import PublisherMisconfigured, PublisherUnavailable, new_object_name
from gatekeeper.publishers.newsletter import IssueItem
from tests.integration.gatekeeper.media.test_media_exiftool_integration import STRUCTURAL_GROUPS, exiftool
from tests.integration.gatekeeper.publishers.smtp_server import Mailbox, serve
from tests.integration.gatekeeper.publishers.wordpress_site import free_port
from tests.media_factory import MARKERS, jpeg_with_everything

FAMILIES = ["parent.one@example.org", "parent.two@example.org", "carer.three@example.org"]


@pytest.fixture
def mailbox():
    return Mailbox()


@pytest.fixture
def smtp_port(mailbox):
    yield from serve(mailbox)


@pytest.fixture
def clean_photo(tmp_path):
    source = tmp_path / "from-the-tablet.jpg"
    source.write_bytes(jpeg_with_everything(orientation=6))
    return sanitize_file(source, tmp_path, stem="clean").path


def newsletter(port, **extra):
    return publisher_for({"kind": "newsletter", "host": "127.0.0.1", "port": port, "security": "none",
                          "sender": "office@littleacorns.example", "recipients": FAMILIES, **extra})


def test_an_issue_reaches_every_family_with_the_clean_pictures_attached(smtp_port, mailbox, clean_photo, tmp_path):
    publisher = newsletter(smtp_port)
    names = [new_object_name(".jpg"), new_object_name(".jpg")]
    items = [IssueItem(clean_photo, names[0], "image/jpeg", "Pond dipping"), IssueItem(clean_photo, names[1], "image/jpeg")]

    refused = publisher.send(publisher.compose("Spring term news", "Dear families,\nhere is our week.", items))

    assert refused == []
    [envelope] = mailbox.received
    assert envelope["to"] == FAMILIES and envelope["from"] == "office@littleacorns.example"
    [message] = mailbox.messages()
    assert message["Subject"] == "Spring term news"
    assert not any(address in message.as_string() for address in FAMILIES)  # nobody sees the others
    text = message.get_body(("plain",)).get_content()
    assert text.splitlines() == ["Dear families,", "here is our week.", "", "Picture 1: Pond dipping", "Picture 2"]
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == names
    expected = hashlib.sha256(clean_photo.read_bytes()).hexdigest()
    for number, attachment in enumerate(attachments):
        data = attachment.get_content()
        assert attachment.get_content_type() == "image/jpeg"
        assert hashlib.sha256(data).hexdigest() == expected
        received = tmp_path / f"received-{number}.jpg"
        received.write_bytes(data)
        found = exiftool(received)
        assert {key.split(":")[0] for key in found if ":" in key} <= STRUCTURAL_GROUPS
        assert not [marker for marker in MARKERS.values() if marker in str(found)]


def test_a_refused_address_is_reported_and_the_others_still_get_the_issue(smtp_port, mailbox, clean_photo):
    mailbox.refuse_rcpt.add(FAMILIES[1])
    publisher = newsletter(smtp_port)
    message = publisher.compose("News", "", [IssueItem(clean_photo, new_object_name(".jpg"), "image/jpeg")])

    assert publisher.send(message) == [FAMILIES[1]]
    assert mailbox.received[0]["to"] == [FAMILIES[0], FAMILIES[2]]


def test_a_server_asking_to_try_later_is_retryable_and_nothing_was_accepted(smtp_port, mailbox, clean_photo):
    mailbox.data_reply = "451 4.3.0 Mail server temporarily rejected message"
    publisher = newsletter(smtp_port)
    message = publisher.compose("News", "", [IssueItem(clean_photo, new_object_name(".jpg"), "image/jpeg")])
    with pytest.raises(PublisherUnavailable, match="asked to try later"):
        publisher.send(message)
    assert mailbox.received == []


def test_every_address_refused_is_a_misconfiguration(smtp_port, mailbox, clean_photo):
    mailbox.refuse_rcpt.update(FAMILIES)
    publisher = newsletter(smtp_port)
    message = publisher.compose("News", "", [IssueItem(clean_photo, new_object_name(".jpg"), "image/jpeg")])
    with pytest.raises(PublisherMisconfigured, match="refused every recipient"):
        publisher.send(message)


def test_a_mail_server_that_is_down_is_retryable(clean_photo):
    publisher = newsletter(free_port(), timeout_s=5)
    message = publisher.compose("News", "", [IssueItem(clean_photo, new_object_name(".jpg"), "image/jpeg")])
    with pytest.raises(PublisherUnavailable, match="cannot be reached"):
        publisher.send(message)
    with pytest.raises(PublisherUnavailable):
        publisher.check()


def test_starttls_on_a_server_without_it_is_a_misconfiguration(smtp_port):
    with pytest.raises(PublisherMisconfigured, match="does not offer"):
        publisher_for({"kind": "newsletter", "host": "127.0.0.1", "port": smtp_port, "security": "starttls",
                       "sender": "office@littleacorns.example", "recipients": FAMILIES}).check()


@pytest.fixture
def login_port(mailbox):
    yield from serve(mailbox, user="office", password="right-password")


def test_the_login_is_used_and_a_wrong_password_is_a_misconfiguration(login_port, mailbox, clean_photo, monkeypatch):
    monkeypatch.setenv("GK_TEST_SMTP_PASSWORD", "right-password")
    publisher = newsletter(login_port, username="office", password_env="GK_TEST_SMTP_PASSWORD")
    publisher.check()
    publisher.send(publisher.compose("News", "", [IssueItem(clean_photo, new_object_name(".jpg"), "image/jpeg")]))
    assert len(mailbox.received) == 1

    monkeypatch.setenv("GK_TEST_SMTP_PASSWORD", "wrong-password")
    with pytest.raises(PublisherMisconfigured, match="refused the login"):
        publisher.check()
