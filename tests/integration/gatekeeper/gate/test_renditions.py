"""Renditions in the gate: one per channel size, judged, approved and published as exactly those bytes."""
from __future__ import annotations

import hashlib

import pytest
from PIL import Image
from sqlalchemy import select

from consent_db import records
from consent_db.audit import CLI
from consent_db.models import Approval, Decision, ItemState, Publication, PublicationState
from gatekeeper.database import transaction
from gatekeeper.gate import actions
from gatekeeper.gate.errors import NotCleared
from gatekeeper.gate.ingest import analyse_item
from gatekeeper.gate.items import ANY_SETTING, get_item
from gatekeeper.gate.publishing import publish_item
from gatekeeper.gate.queue import item_detail
from gatekeeper.gate.renditions import store_key

from .conftest import MANAGER

TWO_PEOPLE = "groups/fr_two_people.jpg"


def _small_channel(world, side: int) -> int:
    with transaction(world.app) as session:
        channel = records.add_channel(session, setting_id=world.setting_id, slug="screen", name="Entrance screen",
                                      description="The screen by the door", actor=CLI)
        channel.rendition_side = side
        channel_id = channel.id
    for name in world.people:
        world.decide(name, channel_id, Decision.GRANT)
    return channel_id


def _renditions(world, public_id):
    with world.ctx.sessions() as session:
        return {r.profile: (r.width, r.height, r.sha256) for r in get_item(session, public_id, setting_id=ANY_SETTING).renditions}


def test_each_channel_size_gets_its_own_analysed_rendition(obama_and_biden):
    world = obama_and_biden
    _small_channel(world, 640)
    item = world.upload(TWO_PEOPLE)
    made = _renditions(world, item)
    assert set(made) == {"photo640", "photo2048"}
    assert max(made["photo640"][:2]) == 640
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.state == "ready"
    assert {f.rendition for f in detail.faces} == {"photo640", "photo2048"}
    assert len(detail.view_faces) == 2 and all(f.rendition == "photo2048" for f in detail.view_faces)


def test_a_channel_receives_the_bytes_of_its_own_rendition(obama_and_biden):
    world = obama_and_biden
    screen = _small_channel(world, 640)
    item = world.upload(TWO_PEOPLE)
    actions.approve(world.ctx, item, [screen], actor=MANAGER, setting_id=world.setting_id)
    folder = world.app.config["CHANNELS_DIR"]
    from pathlib import Path

    [published] = [p for p in (Path(folder) / "screen").glob("*") if not p.name.startswith(".")]
    assert hashlib.sha256(published.read_bytes()).hexdigest() == _renditions(world, item)["photo640"][2]
    with Image.open(published) as picture:
        assert max(picture.size) == 640 and picture.mode == "RGB"


def test_an_approval_names_the_rendition_and_a_new_analysis_revokes_it(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    with world.ctx.sessions.begin() as session:
        # Approve by hand without publishing, as if the publish job had not run yet.
        record = get_item(session, item, setting_id=ANY_SETTING)
        rendition = record.renditions[0]
        session.add(Approval(item_id=record.id, channel_id=world.website, rendition_id=rendition.id,
                             content_sha256=rendition.sha256, approved_by_label="manager (test)",
                             approved_at=world.ctx.clock()))
    actions.retry_analysis(world.ctx, item, actor=MANAGER, setting_id=world.setting_id)
    with world.ctx.sessions() as session:
        approvals = list(session.scalars(select(Approval)))
    assert approvals and all(a.revoked_at is not None for a in approvals)
    with pytest.raises(NotCleared, match="not approved"):
        publish_item(world.ctx, item, world.website)
    assert world.published_files() == []


def test_an_item_without_a_rendition_for_a_channel_is_held_for_it(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    screen = _small_channel(world, 320)  # added after the analysis: nothing was made in its size
    with pytest.raises(NotCleared, match="not yet prepared"):
        actions.approve(world.ctx, item, [screen], actor=MANAGER, setting_id=world.setting_id)
    actions.retry_analysis(world.ctx, item, actor=MANAGER, setting_id=world.setting_id)
    assert "photo320" in _renditions(world, item)
    actions.approve(world.ctx, item, [screen], actor=MANAGER, setting_id=world.setting_id)


def test_a_rendition_changed_in_quarantine_after_approval_is_never_published(obama_and_biden, tmp_path):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    world.ctx.enqueue = lambda *a, **k: None  # approve, but let nothing publish yet
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    sha = _renditions(world, item)["photo2048"][2]
    swapped = tmp_path / "swapped.jpg"
    Image.new("RGB", (64, 64), (200, 10, 10)).save(swapped)
    world.ctx.store.put(store_key(item, sha), swapped)
    publish_item(world.ctx, item, world.website)
    assert world.published_files() == []
    with world.ctx.sessions() as session:
        [publication] = session.scalars(select(Publication))
    assert publication.state is PublicationState.ABANDONED and "changed" in publication.end_reason


def test_an_item_that_cannot_be_rendered_is_held_and_can_only_be_rejected(obama_and_biden, monkeypatch):
    world = obama_and_biden
    from gatekeeper.gate import renditions

    def refuse(*args, **kwargs):
        raise renditions.RenditionError("the picture data ends early")

    monkeypatch.setattr(renditions, "render", refuse)
    item = world.upload(TWO_PEOPLE)
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.state == "held" and detail.analysis_failed
    assert "cannot be prepared for publishing" in detail.analysis_error
    with world.ctx.sessions() as session:
        assert get_item(session, item, setting_id=ANY_SETTING).renditions == []
    with pytest.raises(NotCleared):
        actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)


def test_upgraded_items_waiting_for_a_decision_are_analysed_again(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    with world.ctx.sessions.begin() as session:
        record = get_item(session, item, setting_id=ANY_SETTING)
        # What migration 0004 leaves: faces from before renditions, and the item back in analysis.
        record.renditions.clear()
        for face in record.faces:
            face.rendition_id = None
        record.state = ItemState.HELD
    with pytest.raises(NotCleared, match="not yet prepared"):
        actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    with world.ctx.sessions.begin() as session:
        get_item(session, item, setting_id=ANY_SETTING).state = ItemState.ANALYSING
    analyse_item(world.ctx, item)
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "ready"
    assert set(_renditions(world, item)) == {"photo2048"}


def test_rejecting_an_item_deletes_its_renditions_from_quarantine(obama_and_biden):
    world = obama_and_biden
    _small_channel(world, 640)
    item = world.upload(TWO_PEOPLE)
    keys = [store_key(item, sha) for _, _, sha in _renditions(world, item).values()]
    assert all(world.ctx.store.exists(k) for k in keys)
    actions.reject(world.ctx, item, actor=MANAGER, setting_id=world.setting_id)
    assert not any(world.ctx.store.exists(k) for k in keys)
    assert not world.ctx.store.exists(item)
