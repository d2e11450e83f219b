"""Targets of the WordPress, Facebook and newsletter channels: what each kind says to parents, which
fields it takes, where its secret lives, and a sentence for every wrong target."""
from __future__ import annotations

import os

import pytest

from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.base import InvalidTarget, PublisherMisconfigured, PublishRefused, Takeback, new_object_name
from gatekeeper.publishers.facebook import DEFAULT_GRAPH_URL, FacebookPagePublisher
from gatekeeper.publishers.newsletter import IssueItem, NewsletterPublisher
from gatekeeper.publishers.wordpress import WordPressPublisher

WORDPRESS = {"kind": "wordpress", "url": "https://www.littleacorns.example", "username": "gatekeeper",
             "app_password_env": "GK_WP_PASSWORD"}
FACEBOOK = {"kind": "facebook", "page_id": "1029384756", "page_token_env": "GK_FB_TOKEN"}
NEWSLETTER = {"kind": "newsletter", "host": "smtp.example.org", "sender": "office@littleacorns.example",
              "recipients": ["parent.one@example.org", "parent.two@example.org"],
              "username": "office", "password_file": "/etc/gatekeeper/smtp-password"}


def test_each_kind_says_whether_a_copy_can_be_taken_back_and_tells_parents():
    assert WordPressPublisher.can_take_back is Takeback.BY_DELETION
    assert FacebookPagePublisher.can_take_back is Takeback.BY_DELETION
    assert NewsletterPublisher.can_take_back is Takeback.NEVER
    from gatekeeper.publishers import KINDS
    # What parents read comes from each kind's declaration, and agrees with what its publisher does.
    for name, publisher in (("newsletter", NewsletterPublisher), ("wordpress", WordPressPublisher),
                            ("facebook", FacebookPagePublisher)):
        assert KINDS[name].takeback is publisher.can_take_back
    assert "Cannot be taken back" in KINDS["newsletter"].takeback.sentence()
    assert "Facebook page" in KINDS["facebook"].where
    assert all(p.takes_captions for p in (WordPressPublisher, FacebookPagePublisher, NewsletterPublisher))
    assert NewsletterPublisher.sends_in_issues and not WordPressPublisher.sends_in_issues


def test_good_targets_make_their_publishers():
    assert isinstance(publisher_for(WORDPRESS), WordPressPublisher)
    page = publisher_for(FACEBOOK)
    assert isinstance(page, FacebookPagePublisher) and page.graph_url == DEFAULT_GRAPH_URL
    newsletter = publisher_for(NEWSLETTER)
    assert isinstance(newsletter, NewsletterPublisher)
    assert (newsletter.port, newsletter.security) == (587, "starttls")
    assert publisher_for({**NEWSLETTER, "security": "ssl"}).port == 465


def test_a_local_test_site_may_use_plain_http_on_loopback_only():
    assert publisher_for({**WORDPRESS, "url": "http://127.0.0.1:8080/"}).url == "http://127.0.0.1:8080"
    with pytest.raises(InvalidTarget, match="must use https"):
        publisher_for({**WORDPRESS, "url": "http://www.littleacorns.example"})
    with pytest.raises(InvalidTarget, match="must use https"):
        publisher_for({**FACEBOOK, "graph_url": "http://graph.facebook.com/v21.0"})


@pytest.mark.parametrize("target, message", [
    ({**WORDPRESS, "url": "ftp://site.example"}, "must be an https:// address"),
    ({**WORDPRESS, "url": "https://user:pw@site.example"}, "without \\?, # or a login"),
    ({k: v for k, v in WORDPRESS.items() if k != "app_password_env"}, "exactly one of app_password_env"),
    ({**WORDPRESS, "app_password_file": "/etc/wp"}, "exactly one of app_password_env"),
    ({**WORDPRESS, "app_password_env": "lower case"}, "must name an environment variable"),
    ({**WORDPRESS, "app_password_env": None, "app_password_file": "secrets/wp"}, "must be an absolute path"),
    ({**WORDPRESS, "username": "two words"}, "without spaces"),
    ({**WORDPRESS, "post_status": "trash"}, "post_status .* must be one of"),
    ({**WORDPRESS, "post": "yes"}, "post in the wordpress target must be bool"),
    ({**WORDPRESS, "timeout_s": 0}, "between 1 and 300"),
    ({**WORDPRESS, "password": "hunter2"}, "must not hold credentials"),
    ({**FACEBOOK, "page_id": "littleacorns"}, "numeric id"),
    ({**FACEBOOK, "token": "EAAB"}, "must not hold credentials"),
    ({k: v for k, v in FACEBOOK.items() if k != "page_token_env"}, "exactly one of page_token_env"),
    ({**NEWSLETTER, "security": "tls"}, "security .* must be one of"),
    ({**NEWSLETTER, "security": "none"}, "only for a mail server on this machine"),
    ({**NEWSLETTER, "port": 70000}, "between 1 and 65535"),
    ({**NEWSLETTER, "sender": "office"}, "sender .* must be an email address"),
    ({**NEWSLETTER, "recipients": []}, "between 1 and 1000 recipients"),
    ({**NEWSLETTER, "recipients": ["a@example.org", "not an address"]}, "not email addresses: not an address"),
    ({**NEWSLETTER, "recipients": ["a@example.org", "A@example.org"]}, "same address twice"),
    ({**NEWSLETTER, "recipients": "a@example.org"}, "recipients .* must be list"),
    ({**NEWSLETTER, "username": None}, "names a password but no username"),
    ({**NEWSLETTER, "password_file": None}, "exactly one of password_env"),
])
def test_a_wrong_target_is_refused_with_a_sentence(target, message):
    target = {k: v for k, v in target.items() if v is not None}
    with pytest.raises(InvalidTarget, match=message):
        publisher_for(target)


def test_a_secret_is_read_from_its_environment_variable_when_used(monkeypatch):
    publisher = publisher_for(WORDPRESS)
    monkeypatch.delenv("GK_WP_PASSWORD", raising=False)
    with pytest.raises(PublisherMisconfigured, match="GK_WP_PASSWORD is not set"):
        publisher.app_password.read()
    monkeypatch.setenv("GK_WP_PASSWORD", " abcd efgh \n")
    assert publisher.app_password.read() == "abcd efgh"
    assert "abcd" not in publisher.describe()


def test_a_secret_file_must_be_private_and_not_empty(tmp_path):
    secret = tmp_path / "token"
    publisher = publisher_for({"kind": "facebook", "page_id": "1029384756", "page_token_file": str(secret)})
    with pytest.raises(PublisherMisconfigured, match="cannot read the secret file"):
        publisher.page_token.read()
    secret.write_text("EAAB-token\n")
    os.chmod(secret, 0o644)
    with pytest.raises(PublisherMisconfigured, match="chmod 600"):
        publisher.page_token.read()
    os.chmod(secret, 0o600)
    assert publisher.page_token.read() == "EAAB-token"
    secret.write_text("")
    with pytest.raises(PublisherMisconfigured, match="is empty"):
        publisher.page_token.read()


def test_a_newsletter_picture_is_never_published_alone_and_a_takedown_deletes_nothing(tmp_path):
    newsletter = publisher_for(NEWSLETTER)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xd9")
    with pytest.raises(PublishRefused, match="go out in an issue"):
        newsletter.publish(photo, object_name=new_object_name(".jpg"), content_type="image/jpeg")
    newsletter.remove(new_object_name(".jpg"))
    assert newsletter.exists(new_object_name(".jpg")) is False


def test_an_issue_is_composed_for_hidden_recipients_with_the_pictures_under_their_random_names(tmp_path):
    newsletter = publisher_for(NEWSLETTER)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8jpeg bytes\xff\xd9")
    name = new_object_name(".jpg")

    message = newsletter.compose("Our week", "Hello families", [IssueItem(photo, name, "image/jpeg", "Baking")])

    assert message["To"] == "office@littleacorns.example"
    assert "parent.one@example.org" not in message.as_string()
    assert "Picture 1: Baking" in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == name and attachment.get_content() == photo.read_bytes()


@pytest.mark.parametrize("subject, items, message", [
    ("", 1, "subject must be one line"),
    ("Line one\nBcc: someone@example.org", 1, "subject must be one line"),
    ("Our week", 0, "at least one picture"),
])
def test_a_bad_issue_is_refused_before_anything_is_sent(tmp_path, subject, items, message):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xd9")
    chosen = [IssueItem(photo, new_object_name(".jpg"), "image/jpeg")] * items
    with pytest.raises(PublishRefused, match=message):
        publisher_for(NEWSLETTER).compose(subject, "", chosen)
