"""Takedown retries when a channel is down, leaving dates, and retention of quarantined copies."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from consent_db import records
from consent_db.audit import CLI
from consent_db.models import Decision, PublicationState
from consent_db.verdicts import FACE_MATCHING
from consent_db.models import OutboxRow
from consent_db.outbox import SUPERSEDED
from consent_db.templates import count_templates
from gatekeeper.app.people import leaving_key, set_leaving_date
from gatekeeper.app.principal import operator
from gatekeeper.database import transaction
from gatekeeper.gate import actions
from gatekeeper.gate.queue import item_detail
from gatekeeper.gate.retention import purge
from gatekeeper.gate.takedown import sweep
from gatekeeper.jobs.tasks import minute_sweep
from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.base import PublisherUnavailable
from gatekeeper.publishers.local_folder import LocalFolderPublisher

from .conftest import MANAGER

PHOTO = "identities/barack_obama/fr_obama3.jpg"


@pytest.fixture
def published(world):
    world.child("obama")
    world.decide("obama", FACE_MATCHING, Decision.GRANT)
    world.decide("obama", world.website, Decision.GRANT)
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg")
    item = world.upload(PHOTO)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1
    return world, item


class ChannelDown(LocalFolderPublisher):
    def _remove(self, object_name):
        raise PublisherUnavailable("the channel's server did not answer")


def test_a_takedown_that_cannot_reach_the_channel_stays_live_and_succeeds_on_retry(published, monkeypatch):
    world, item = published
    world.ctx.publisher_factory = ChannelDown.from_target
    # The job runs inside the decision here; its failure must not undo the recorded withdrawal.
    world.drain_at_once = False
    world.decide("obama", world.website, Decision.REFUSE)
    with pytest.raises(PublisherUnavailable):
        sweep(world.ctx, person_id=world.people["obama"])
    assert world.publications(item)[0].state is PublicationState.PUBLISHED, "still live: the retry must find it"
    world.ctx.publisher_factory = publisher_for
    assert sweep(world.ctx, person_id=world.people["obama"]).taken_down
    assert world.published_files() == []


def test_a_child_who_has_left_is_taken_down_and_forgotten_at_the_next_minute(published):
    world, item = published
    set_leaving_date(world.uow(), operator(world.setting_id), world.people["obama"], date.today() + timedelta(days=1))
    minute_sweep(world.app)
    assert len(world.published_files()) == 1, "still at the setting today"
    world.later(days=2)
    minute_sweep(world.app)
    assert world.published_files() == []
    assert "left the setting" in world.publications(item)[0].end_reason
    with transaction(world.app) as session:
        assert count_templates(session, world.people["obama"]) == 0, "templates of a child who left are purged"


def test_an_expiry_reached_takes_copies_down_and_purges_templates_at_the_next_minute(world):
    world.child("obama")
    expiry = date.today() + timedelta(days=3)
    world.decide("obama", FACE_MATCHING, Decision.GRANT, expires=expiry)
    world.decide("obama", world.website, Decision.GRANT)
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg")
    item = world.upload(PHOTO)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1
    world.later(days=1)
    minute_sweep(world.app)
    assert len(world.published_files()) == 1, "face matching still in force"
    world.later(days=4)
    minute_sweep(world.app)
    assert world.published_files() == [], "a face no longer matched counts as unknown: taken down"
    with transaction(world.app) as session:
        assert count_templates(session, world.people["obama"]) == 0


def test_moving_a_leaving_date_replaces_its_schedule_and_clearing_it_cancels_it(published):
    world, _item = published
    child = world.people["obama"]
    for day in (date.today() + timedelta(days=5), date.today() + timedelta(days=9), None):
        set_leaving_date(world.uow(), operator(world.setting_id), child, day)
    with transaction(world.app) as session:
        scheduled = session.scalars(select(OutboxRow).where(OutboxRow.key == leaving_key(child))
                                    .order_by(OutboxRow.id)).all()
    assert [row.last_error for row in scheduled] == [SUPERSEDED, SUPERSEDED]
    world.later(days=10)
    minute_sweep(world.app)
    assert len(world.published_files()) == 1, "the leaving date was cleared"


def test_unpublished_items_are_purged_after_the_retention_period(world):
    item = world.upload("negatives/skimage_coffee.png")
    world.ctx.config["RETENTION_UNPUBLISHED_DAYS"] = 30
    assert purge(world.ctx).expired_unpublished == 0
    world.later(days=31)
    assert purge(world.ctx).expired_unpublished == 1
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "purged"
    assert not world.ctx.store.exists(item)


def test_a_published_items_quarantine_copy_goes_but_the_publication_stays(published):
    world, item = published
    world.ctx.config["RETENTION_PUBLISHED_QUARANTINE_DAYS"] = 7
    world.later(days=8)
    assert purge(world.ctx).quarantine_copies_dropped == 1
    assert not world.ctx.store.exists(item)
    assert len(world.published_files()) == 1
    assert purge(world.ctx).quarantine_copies_dropped == 0, "done once"


def test_a_copy_the_display_shows_outlives_the_retention_period_until_it_is_taken_down(world):
    from consent_db import records
    from consent_db.audit import CLI
    from gatekeeper.gate.served import display_items

    with transaction(world.app) as session:
        display = records.add_channel(session, setting_id=world.setting_id, slug="entrance", name="Entrance screen",
                                      description="The screen by the door", actor=CLI,
                                      target={"kind": "display", "seconds_per_picture": 8}).id
    world.child("obama")
    world.decide("obama", FACE_MATCHING, Decision.GRANT)
    for channel in (world.website, display):
        world.decide("obama", channel, Decision.GRANT)
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg")
    item = world.upload(PHOTO)
    actions.approve(world.ctx, item, [world.website, display], actor=MANAGER, setting_id=world.setting_id)
    world.ctx.config["RETENTION_PUBLISHED_QUARANTINE_DAYS"] = 7
    world.later(days=8)

    assert purge(world.ctx).quarantine_copies_dropped == 0, "the display shows the quarantine copy itself"
    assert world.ctx.store.exists(item)
    assert [shown.key for shown in display_items(world.ctx, display, setting_id=world.setting_id)]

    world.decide("obama", display, Decision.REFUSE)
    assert display_items(world.ctx, display, setting_id=world.setting_id) == []
    assert purge(world.ctx).quarantine_copies_dropped == 1, "off the display, the copy goes at the next sweep"
    assert not world.ctx.store.exists(item)
    assert len(world.published_files()) == 1, "the website's own copy stays"


def test_an_item_whose_analysis_gave_up_is_held_with_the_error_until_retried(world):
    from gatekeeper.gate.ingest import analysis_gave_up

    queued = []
    world.ctx.enqueue = lambda name, **kwargs: queued.append((name, kwargs))
    item = world.upload("negatives/skimage_coffee.png")
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "analysing"
    analysis_gave_up(world.ctx, item, "QuarantineUnavailable: the storage server did not answer")
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.state == "held"
    assert "analysis could not run (QuarantineUnavailable" in detail.channels[0].reasons[0]
    from gatekeeper.jobs.tasks import analyse_item

    actions.retry_analysis(world.ctx, item, actor=MANAGER, setting_id=world.setting_id)
    analyse_item(world.app, public_id=item)
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "ready"


def test_a_channel_that_is_down_does_not_keep_the_copies_on_other_channels_live(published):
    world, item = published
    with transaction(world.app) as session:
        blog = records.add_channel(session, setting_id=world.setting_id, slug="blog", name="Blog",
                                   description="Our blog", actor=CLI).id
    world.decide("obama", blog, Decision.GRANT)
    actions.approve(world.ctx, item, [blog], actor=MANAGER, setting_id=world.setting_id)
    blog_files = (Path(world.app.config["CHANNELS_DIR"]) / "blog").glob
    assert len(list(blog_files("[!.]*"))) == 1
    # Whichever copy the sweep meets first is on the channel that is down.
    down = world.publications(item)[0].target

    def one_channel_down(target):
        return (ChannelDown if target == down else LocalFolderPublisher).from_target(target)

    world.ctx.publisher_factory = one_channel_down
    world.drain_at_once = False
    world.decide("obama", FACE_MATCHING, Decision.REFUSE)  # every channel's consent ends with the matching
    with pytest.raises(PublisherUnavailable):
        sweep(world.ctx, person_id=world.people["obama"])
    live = [p for p in world.publications(item) if p.state is PublicationState.PUBLISHED]
    assert [p.target for p in live] == [down], "the reachable channel's copy is taken down at once"
    assert live[0].takedown_error, "the Manager sees why the other is still up"
    world.ctx.publisher_factory = publisher_for
    sweep(world.ctx, person_id=world.people["obama"])
    assert world.published_files() == [] and list(blog_files("[!.]*")) == []


def test_a_stale_intent_on_a_channel_that_is_down_does_not_stop_retention_at_the_next_minute(world, monkeypatch):
    item = world.upload("negatives/skimage_coffee.png")
    world.ctx.config["RETENTION_UNPUBLISHED_DAYS"] = 30
    world.later(days=31)

    def channel_down(ctx):
        raise PublisherUnavailable("the website's server did not answer")

    # The minute's step before retention finishes crashed publishes; this one's channel is down.
    monkeypatch.setattr("gatekeeper.jobs.tasks.complete_stale_intents", channel_down)
    with pytest.raises(PublisherUnavailable):
        minute_sweep(world.app)
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "purged"
