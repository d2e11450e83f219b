"""The Manager's newsletter page: only Managers, only newsletter channels, and a sentence for every
issue that cannot be previewed or sent (sending itself is tested against a real SMTP server)."""
from __future__ import annotations

from consent_db import records
from consent_db.audit import CLI
from gatekeeper.database import transaction
from tests.web_world import post

TARGET = {"kind": "newsletter", "host": "127.0.0.1", "port": 2525, "security": "none",
          "sender": "office@littleacorns.example", "recipients": ["a@example.org", "b@example.org"]}


def add_channel(app, world, slug, target):
    with transaction(app) as session:
        channel = records.add_channel(session, setting_id=world.setting_id, slug=slug, name=slug.title(),
                                      description="test", actor=CLI)
        channel.target = target
        session.flush()
        return channel.id


def test_the_only_newsletter_opens_its_issue_page_which_says_emails_cannot_be_recalled(app, world, manager):
    channel = add_channel(app, world, "letter", TARGET)
    answer = manager.get("/manager/newsletter")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/manager/newsletter/{channel}")
    page = manager.get(f"/manager/newsletter/{channel}").get_data(as_text=True)
    assert "An email cannot be recalled" in page
    assert "2 address(es)" in page
    assert "Nothing is approved for this newsletter" in page


def test_a_channel_that_is_not_a_newsletter_or_does_not_exist_has_no_issue_page(app, world, manager):
    website = add_channel(app, world, "site", {"kind": "local", "path": "/srv/www/site"})
    assert manager.get(f"/manager/newsletter/{website}").status_code == 404
    assert manager.get("/manager/newsletter/9999").status_code == 404
    assert post(app, manager, "/manager/newsletter/9999/send", {"subject": "x", "item": "abc"}).status_code == 404


def test_an_issue_without_pictures_or_subject_is_refused_with_a_sentence(app, world, manager):
    channel = add_channel(app, world, "letter", TARGET)
    answer = post(app, manager, f"/manager/newsletter/{channel}/preview", {"subject": "Our week"})
    assert answer.status_code == 400 and "Choose at least one picture" in answer.get_data(as_text=True)
    answer = post(app, manager, f"/manager/newsletter/{channel}/send", {"subject": " ", "item": "abc"})
    assert answer.status_code == 400 and "Write a subject" in answer.get_data(as_text=True)
    answer = post(app, manager, f"/manager/newsletter/{channel}/send", {"subject": "Our week", "item": "nope"})
    assert answer.status_code == 400 and "Nothing can go out in this issue" in answer.get_data(as_text=True)


def test_staff_and_parents_cannot_open_the_newsletter(app, world, staff, parent):
    channel = add_channel(app, world, "letter", TARGET)
    for client in (staff, parent):
        assert client.get(f"/manager/newsletter/{channel}").status_code in (302, 403)
        assert post(app, client, f"/manager/newsletter/{channel}/send", {"subject": "x", "item": "a"}).status_code in (302, 403)
