"""The gate with the web and email channels: a real WordPress and a real SMTP server on loopback.

Publishing keeps the ids WordPress gave the copy, a withdrawal deletes it for good, a takedown while
the site is down stays live and is retried, captions are checked again at publishing, and a
newsletter issue carries exactly the approved rendition, with consent checked just before it leaves.
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select, update

from consent_db import records
from consent_db.audit import CLI
from consent_db.models import Approval, Decision, MediaItem, Publication, PublicationState
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.database import transaction
from gatekeeper.gate import actions, newsletter
from gatekeeper.gate.errors import GateError, NotCleared
from gatekeeper.gate.publishing import publish_item
from gatekeeper.gate.takedown import NOT_RECALLED, sweep
from gatekeeper.publishers.base import PublisherUnavailable
from tests.integration.gatekeeper.media.test_media_exiftool_integration import STRUCTURAL_GROUPS, exiftool
from tests.integration.gatekeeper.publishers.smtp_server import Mailbox, serve
from tests.integration.gatekeeper.publishers.wordpress_site import WORDPRESS, free_port, start_site

from .conftest import MANAGER

PHOTO = "identities/barack_obama/fr_obama3.jpg"
FAMILIES = ["parent.one@example.org", "parent.two@example.org"]


def add_channel(world, slug: str, target: dict) -> int:
    with transaction(world.app) as session:
        channel = records.add_channel(session, setting_id=world.setting_id, slug=slug, name=slug.title(),
                                      description=f"{slug} (test)", actor=CLI)
        channel.target = target
        session.flush()
        return channel.id


def obama_consents_to(world, *channels: int) -> None:
    world.child("obama")
    world.decide("obama", FACE_MATCHING, Decision.GRANT)
    for channel in channels:
        world.decide("obama", channel, Decision.GRANT)
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg")


def set_caption_directly(world, public_id: str, caption: str) -> None:
    """A caption saved before today's children were enrolled (set_caption would refuse it now)."""
    with transaction(world.app) as session:
        session.execute(update(MediaItem).where(MediaItem.public_id == public_id).values(caption=caption))


# -- WordPress -------------------------------------------------------------------------------

needs_wordpress = pytest.mark.skipif(
    shutil.which("php") is None or not WORDPRESS.is_dir() or shutil.which("mysql") is None,
    reason="scripts/test installs wordpress, php-cli, php-mysql and the MariaDB client")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from start_site(tmp_path_factory.mktemp("wordpress"))


@pytest.fixture
def wordpress(world, site, monkeypatch):
    monkeypatch.setenv("GK_TEST_WP_PASSWORD", site.app_password)
    return add_channel(world, "website-wp", {"kind": "wordpress", "url": site.url, "username": site.admin,
                                             "app_password_env": "GK_TEST_WP_PASSWORD", "post": True})


def wp(site, path):
    token = base64.b64encode(f"{site.admin}:{site.app_password}".encode()).decode()
    request = urllib.request.Request(f"{site.url}/wp-json/wp/v2{path}", headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


@needs_wordpress
def test_an_approved_photo_reaches_wordpress_with_its_caption_and_a_withdrawal_deletes_it(world, site, wordpress):
    obama_consents_to(world, wordpress)
    item = world.upload(PHOTO)
    actions.set_caption(world.ctx, item, "Building a tower", actor=MANAGER, setting_id=world.setting_id)

    actions.approve(world.ctx, item, [wordpress], actor=MANAGER, setting_id=world.setting_id)

    [publication] = world.publications(item)
    assert publication.state is PublicationState.PUBLISHED
    media_id, post_id = publication.remote_ref["media_id"], publication.remote_ref["post_id"]
    status, media = wp(site, f"/media/{media_id}?context=edit")
    assert status == 200 and media["caption"]["raw"] == "Building a tower"
    assert media["title"]["raw"] == publication.object_name
    with world.ctx.sessions() as session:
        approval = session.get(Approval, publication.approval_id)
    with urllib.request.urlopen(media["source_url"], timeout=30) as answer:
        assert hashlib.sha256(answer.read()).hexdigest() == approval.content_sha256

    world.decide("obama", wordpress, Decision.REFUSE)

    assert world.publications(item)[0].state is PublicationState.TAKEN_DOWN
    assert wp(site, f"/media/{media_id}?context=edit")[0] == 404
    assert wp(site, f"/posts/{post_id}?context=edit")[0] == 404
    stem = publication.object_name.rsplit(".", 1)[0]
    assert not [p for p in site.uploads.rglob("*") if p.name.startswith(stem)]


@needs_wordpress
def test_a_takedown_while_the_site_is_down_stays_live_and_is_retried(world, site, wordpress):
    obama_consents_to(world, wordpress)
    item = world.upload(PHOTO)
    actions.approve(world.ctx, item, [wordpress], actor=MANAGER, setting_id=world.setting_id)
    [publication] = world.publications(item)
    target = dict(publication.target)
    with transaction(world.app) as session:  # the site stops answering
        session.get(Publication, publication.id).target = {**target, "url": f"http://127.0.0.1:{free_port()}",
                                                          "timeout_s": 5}
    world.drain_at_once = False
    world.decide("obama", wordpress, Decision.REFUSE)

    with pytest.raises(PublisherUnavailable, match="cannot reach"):
        sweep(world.ctx, person_id=world.people["obama"])
    assert world.publications(item)[0].state is PublicationState.PUBLISHED, "still live: the retry must find it"
    assert wp(site, f"/media/{publication.remote_ref['media_id']}?context=edit")[0] == 200

    with transaction(world.app) as session:  # the site is back
        session.get(Publication, publication.id).target = target
    assert sweep(world.ctx, person_id=world.people["obama"]).taken_down
    assert wp(site, f"/media/{publication.remote_ref['media_id']}?context=edit")[0] == 404


@needs_wordpress
def test_a_caption_naming_a_child_who_joined_since_is_not_published(world, site, wordpress):
    obama_consents_to(world, wordpress)
    item = world.upload(PHOTO)
    set_caption_directly(world, item, "Tower building with the Testchild twins")

    actions.approve(world.ctx, item, [wordpress], actor=MANAGER, setting_id=world.setting_id)  # runs the job

    [publication] = world.publications(item)
    assert publication.state is PublicationState.ABANDONED
    assert "surname" in publication.end_reason
    assert wp(site, f"/media?search={publication.object_name.lstrip('-')}&context=edit")[1] == []


# -- the newsletter --------------------------------------------------------------------------

@pytest.fixture
def mailbox():
    return Mailbox()


@pytest.fixture
def smtp_port(mailbox):
    yield from serve(mailbox)


@pytest.fixture
def letter(world, smtp_port):
    return add_channel(world, "newsletter", {"kind": "newsletter", "host": "127.0.0.1", "port": smtp_port,
                                             "security": "none", "sender": "office@littleacorns.example",
                                             "recipients": FAMILIES})


@pytest.fixture
def approved_for_letter(world, letter):
    obama_consents_to(world, letter)
    item = world.upload(PHOTO)
    actions.set_caption(world.ctx, item, "Our tower", actor=MANAGER, setting_id=world.setting_id)
    queued, enqueue = [], world.ctx.enqueue
    world.ctx.enqueue = lambda name, **kwargs: queued.append((name, kwargs))
    actions.approve(world.ctx, item, [letter], actor=MANAGER, setting_id=world.setting_id)
    world.ctx.enqueue = enqueue  # the outbox drain after a withdrawal goes through it too
    assert queued == [], "a newsletter's items wait for the issue"
    assert world.publications(item) == []
    return item


def test_an_issue_carries_exactly_the_approved_rendition_and_no_metadata(world, letter, approved_for_letter,
                                                                         mailbox, tmp_path):
    item = approved_for_letter
    [candidate] = newsletter.candidates(world.ctx, letter, setting_id=world.setting_id)
    assert candidate.public_id == item and candidate.held is None and candidate.caption == "Our tower"
    preview, warnings = newsletter.preview(world.ctx, letter, [item], subject="Our week", intro="Hello all",
                                           setting_id=world.setting_id)
    assert preview.sent == [item] and preview.recipients == 2 and warnings == []
    assert mailbox.received == [], "a preview sends nothing"

    report = newsletter.send_issue(world.ctx, letter, [item], subject="Our week", intro="Hello all",
                                   actor=MANAGER, setting_id=world.setting_id)

    assert report.sent == [item] and report.left_out == {}
    [envelope] = mailbox.received
    assert envelope["to"] == FAMILIES
    [message] = mailbox.messages()
    [attachment] = list(message.iter_attachments())
    [publication] = world.publications(item)
    assert publication.state is PublicationState.PUBLISHED
    assert attachment.get_filename() == publication.object_name
    with world.ctx.sessions() as session:
        approval = session.get(Approval, publication.approval_id)
    data = attachment.get_content()
    assert hashlib.sha256(data).hexdigest() == approval.content_sha256
    received = tmp_path / "received.jpg"
    received.write_bytes(data)
    assert {key.split(":")[0] for key in exiftool(received) if ":" in key} <= STRUCTURAL_GROUPS
    assert "Picture 1: Our tower" in message.get_body(("plain",)).get_content()
    assert newsletter.candidates(world.ctx, letter, setting_id=world.setting_id) == [], "sent once only"


def test_a_withdrawal_after_sending_is_recorded_as_not_recalled_for_the_manager(world, letter, approved_for_letter):
    item = approved_for_letter
    newsletter.send_issue(world.ctx, letter, [item], subject="Our week", intro="", actor=MANAGER,
                          setting_id=world.setting_id)

    world.decide("obama", letter, Decision.REFUSE)

    [publication] = world.publications(item)
    assert publication.state is PublicationState.TAKEN_DOWN
    assert NOT_RECALLED in publication.end_reason
    [(public_id, _when, reason)] = newsletter.sent_but_withdrawn(world.ctx, letter, setting_id=world.setting_id)
    assert public_id == item and NOT_RECALLED in reason


def test_a_withdrawal_before_sending_keeps_the_picture_out_of_the_issue(world, letter, approved_for_letter, mailbox):
    item = approved_for_letter
    world.decide("obama", letter, Decision.REFUSE)
    [candidate] = newsletter.candidates(world.ctx, letter, setting_id=world.setting_id)
    assert "withdrawn" in candidate.held

    with pytest.raises(NotCleared, match="nothing can go out"):
        newsletter.send_issue(world.ctx, letter, [item], subject="Our week", intro="", actor=MANAGER,
                              setting_id=world.setting_id)
    assert mailbox.received == []


def test_a_withdrawal_while_the_issue_is_prepared_wins(world, letter, approved_for_letter, mailbox, monkeypatch):
    item = approved_for_letter
    real_prepare = newsletter.prepare_file

    def withdraw_meanwhile(*args, **kwargs):
        path = real_prepare(*args, **kwargs)
        world.decide("obama", letter, Decision.REFUSE)
        return path

    monkeypatch.setattr(newsletter, "prepare_file", withdraw_meanwhile)
    with pytest.raises(NotCleared):
        newsletter.send_issue(world.ctx, letter, [item], subject="Our week", intro="", actor=MANAGER,
                              setting_id=world.setting_id)
    assert mailbox.received == []
    assert [p.state for p in world.publications(item)] == [PublicationState.ABANDONED]


def test_a_mail_server_that_is_down_sends_nothing_and_the_item_can_be_sent_later(world, letter, approved_for_letter,
                                                                                mailbox):
    item = approved_for_letter
    mailbox.data_reply = "451 4.3.0 try again later"
    with pytest.raises(PublisherUnavailable):
        newsletter.send_issue(world.ctx, letter, [item], subject="Our week", intro="", actor=MANAGER,
                              setting_id=world.setting_id)
    assert [p.state for p in world.publications(item)] == [PublicationState.ABANDONED]
    mailbox.data_reply = None

    newsletter.send_issue(world.ctx, letter, [item], subject="Our week", intro="", actor=MANAGER,
                          setting_id=world.setting_id)
    assert len(mailbox.received) == 1


def test_a_surname_in_the_subject_or_intro_refuses_the_issue(world, letter, approved_for_letter, mailbox):
    with pytest.raises(GateError, match="surname"):
        newsletter.send_issue(world.ctx, letter, [approved_for_letter], subject="News", intro="Well done Testchild!",
                              actor=MANAGER, setting_id=world.setting_id)
    assert mailbox.received == [] and world.publications(approved_for_letter) == []


def test_publishing_a_newsletter_item_alone_is_refused(world, letter, approved_for_letter):
    from gatekeeper.gate.errors import SentInIssues

    with pytest.raises(SentInIssues):
        publish_item(world.ctx, approved_for_letter, letter)
    assert world.publications(approved_for_letter) == []


def test_an_unknown_item_is_left_out_and_nothing_is_recorded(world, letter, approved_for_letter):
    with pytest.raises(NotCleared, match="there is no media item"):
        newsletter.send_issue(world.ctx, letter, ["no-such-item"], subject="News", intro="", actor=MANAGER,
                              setting_id=world.setting_id)
    with world.ctx.sessions() as session:
        assert session.scalars(select(Publication)).all() == []
