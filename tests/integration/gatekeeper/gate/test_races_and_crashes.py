"""The invariant under pressure: withdrawal racing a publish, crashes between intent and write,
and an S3 channel with versioning, where a takedown must remove every version."""
from __future__ import annotations

from datetime import timedelta

import pytest

from consent_db.models import Channel, Decision, PublicationState
from consent_db.timeutil import now
from gatekeeper.gate import actions, publishing
from gatekeeper.gate.errors import NotCleared
from gatekeeper.gate.publishing import complete_stale_intents, publish_item
from gatekeeper.gate.takedown import sweep
from gatekeeper.app.channels import channel_status
from gatekeeper.app.principal import operator
from gatekeeper.publishers.base import PublisherUnavailable
from gatekeeper.publishers import publisher_for
from gatekeeper.publishers.local_folder import LocalFolderPublisher

from .conftest import MANAGER

TWO_PEOPLE = "groups/fr_two_people.jpg"


@pytest.fixture
def approved(obama_and_biden):
    """An approved photo whose publishing job has been queued but not run."""
    world = obama_and_biden
    queued = []
    world.ctx.enqueue = lambda name, **kwargs: queued.append((name, kwargs))
    item = world.upload(TWO_PEOPLE)
    from gatekeeper.gate.ingest import analyse_item

    analyse_item(world.ctx, item)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert ("publish_item", {"public_id": item, "channel_id": world.website}) in queued
    return world, item


def use_publisher(world, make):
    world.ctx.publisher_factory = lambda target: make(target)


class PowerCutBeforeWrite(LocalFolderPublisher):
    def _publish(self, source, object_name, content_type):
        raise RuntimeError("power cut")


def test_a_withdrawal_recorded_before_the_intent_stops_the_publish(approved):
    world, item = approved
    world.decide("obama", world.website, Decision.REFUSE)
    with pytest.raises(NotCleared, match="withdrawn"):
        publish_item(world.ctx, item, world.website)
    assert world.published_files() == []
    assert world.publications(item) == []


@pytest.mark.parametrize("sweep_runs", [True, False], ids=["takedown job runs at once", "takedown job delayed"])
def test_a_withdrawal_racing_the_write_leaves_nothing_published(approved, monkeypatch, sweep_runs):
    world, item = approved
    if not sweep_runs:
        # Only the consent check after the write stands between the withdrawal and publication.
        world.drain_at_once = False

    class WithdrawDuringWrite(LocalFolderPublisher):
        def _publish(self, source, object_name, content_type):
            # The parent withdraws while the bytes are on their way to the channel.
            world.decide("biden", world.website, Decision.REFUSE)
            return super()._publish(source, object_name, content_type)

    use_publisher(world, WithdrawDuringWrite.from_target)
    publish_item(world.ctx, item, world.website)
    assert world.published_files() == []
    [publication] = world.publications(item)
    assert publication.state is PublicationState.ABANDONED
    assert publication.published_at is None


def landed_after_takedown(approved):
    """A copy on the channel whose publication a withdrawal abandoned while it was being written."""
    world, item = approved

    class WithdrawnThenKilled(LocalFolderPublisher):
        def _publish(self, source, object_name, content_type):
            # The withdrawal's takedown ends the intent before these bytes land; the writer then dies
            # (or its channel times out after storing them) before it sees the end.
            world.decide("biden", world.website, Decision.REFUSE)
            sweep(world.ctx, person_id=world.people["biden"])
            super()._publish(source, object_name, content_type)
            raise RuntimeError("process killed after the write")

    use_publisher(world, WithdrawnThenKilled.from_target)
    with pytest.raises(RuntimeError):
        publish_item(world.ctx, item, world.website)
    [publication] = world.publications(item)
    assert publication.state is PublicationState.ABANDONED and len(world.published_files()) == 1
    return world, item


def test_a_copy_landed_after_its_intent_was_taken_down_goes_even_when_the_writer_dies(approved):
    world, item = landed_after_takedown(approved)
    use_publisher(world, publisher_for)
    with pytest.raises(NotCleared):
        publish_item(world.ctx, item, world.website)  # the job's retry: it finds no intent of its own
    world.ctx.clock = lambda: now() + timedelta(minutes=5)
    complete_stale_intents(world.ctx)
    assert world.published_files() == []
    assert world.publications(item)[0].removal_owed_at is None, "owed once, removed once"


def test_a_late_copy_whose_channel_is_down_is_removed_when_it_is_back_and_the_manager_sees_it(approved):
    world, item = landed_after_takedown(approved)

    class Down(LocalFolderPublisher):
        def _remove(self, object_name):
            raise PublisherUnavailable("the website's server did not answer")

    use_publisher(world, Down.from_target)
    world.ctx.clock = lambda: now() + timedelta(minutes=5)
    with pytest.raises(PublisherUnavailable):
        complete_stale_intents(world.ctx)
    [failed] = channel_status(world.ctx, operator(world.setting_id), world.website).failed_takedowns
    assert "did not answer" in failed.error and len(world.published_files()) == 1
    use_publisher(world, publisher_for)
    complete_stale_intents(world.ctx)
    assert world.published_files() == []
    assert channel_status(world.ctx, operator(world.setting_id), world.website).failed_takedowns == []


def test_a_crash_between_intent_and_write_is_finished_later_exactly_once(approved):
    world, item = approved
    use_publisher(world, PowerCutBeforeWrite.from_target)
    with pytest.raises(RuntimeError, match="power cut"):
        publish_item(world.ctx, item, world.website)
    assert [p.state for p in world.publications(item)] == [PublicationState.INTENT]
    assert world.published_files() == []

    use_publisher(world, publisher_for)
    assert complete_stale_intents(world.ctx) == 0, "a fresh intent may still be in flight"
    world.ctx.clock = lambda: now() + timedelta(minutes=5)
    assert complete_stale_intents(world.ctx) == 1
    publish_item(world.ctx, item, world.website)  # a retried job must not add a second copy
    assert [p.state for p in world.publications(item)] == [PublicationState.PUBLISHED]
    assert len(world.published_files()) == 1


def test_a_crash_after_the_write_is_confirmed_later_without_a_second_copy(approved, monkeypatch):
    world, item = approved

    def crash(*args, **kwargs):
        raise RuntimeError("process killed after the write")

    monkeypatch.setattr(publishing, "_confirm", crash)
    with pytest.raises(RuntimeError):
        publish_item(world.ctx, item, world.website)
    assert len(world.published_files()) == 1
    monkeypatch.undo()
    world.ctx.clock = lambda: now() + timedelta(minutes=5)
    complete_stale_intents(world.ctx)
    assert [p.state for p in world.publications(item)] == [PublicationState.PUBLISHED]
    assert len(world.published_files()) == 1


def test_a_crashed_intent_is_abandoned_when_consent_ended_meanwhile(approved):
    world, item = approved
    use_publisher(world, PowerCutBeforeWrite.from_target)
    with pytest.raises(RuntimeError):
        publish_item(world.ctx, item, world.website)
    use_publisher(world, publisher_for)
    world.decide("obama", world.website, Decision.REFUSE)
    world.ctx.clock = lambda: now() + timedelta(minutes=5)
    complete_stale_intents(world.ctx)
    assert world.published_files() == []
    assert world.publications(item)[0].state is not PublicationState.PUBLISHED


def test_an_s3_channel_loses_every_version_on_takedown(obama_and_biden, s3_endpoint, s3_client, versioned_bucket):
    world = obama_and_biden
    with world.ctx.sessions.begin() as session:
        channel = session.get(Channel, world.website)
        channel.target = {"kind": "s3", "bucket": versioned_bucket, "prefix": "photos/", "region": "eu-west-2",
                          "endpoint_url": s3_endpoint}
    item = world.upload(TWO_PEOPLE)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    [publication] = world.publications(item)
    key = f"photos/{publication.object_name}"
    head = s3_client.head_object(Bucket=versioned_bucket, Key=key)
    assert head["ContentType"] == "image/jpeg"
    assert head.get("Metadata") == {}
    # A second write of the same object (a retried job) leaves history in a versioned bucket.
    s3_client.put_object(Bucket=versioned_bucket, Key=key, Body=b"older copy")
    world.decide("obama", world.website, Decision.REFUSE)
    versions = s3_client.list_object_versions(Bucket=versioned_bucket, Prefix="photos/")
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
