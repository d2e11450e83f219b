"""The gate end to end on a real photo: enrol, consent, approve, publish, withdraw, and see it gone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consent_db.audit import verify_chain
from consent_db.models import Approval, AuditEvent, Decision, PublicationState
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.database import transaction
from gatekeeper.gate import actions
from gatekeeper.gate.errors import NotCleared
from gatekeeper.gate.queue import item_detail

from .conftest import MANAGER

TWO_PEOPLE = "groups/fr_two_people.jpg"


def test_a_photo_of_two_consented_children_is_ready_and_publishes_on_approval(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.state == "ready"
    assert sorted(f.label for f in detail.faces) == ["Biden Testchild", "Obama Testchild"]
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert [p.state for p in world.publications(item)] == [PublicationState.PUBLISHED]
    [published] = world.published_files()
    assert published.suffix == ".jpg" and "obama" not in published.name.lower()


def test_withdrawing_consent_takes_the_photo_down(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1
    world.decide("biden", world.website, Decision.REFUSE)
    assert world.published_files() == []
    [publication] = world.publications(item)
    assert publication.state is PublicationState.TAKEN_DOWN
    assert "withdrawn" in publication.end_reason
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "held"


def test_a_second_guardian_refusing_after_the_first_granted_takes_it_down(world):
    world.child("obama", guardians=2)
    world.child("biden")
    world.consent_everything("obama", guardian=0)
    world.consent_everything("biden")
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg")
    world.enroll("biden", "identities/joe_biden/fr_biden.jpg")
    item = world.upload(TWO_PEOPLE)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1
    world.decide("obama", world.website, Decision.REFUSE, guardian=1)
    assert world.published_files() == []


def test_a_child_without_face_matching_consent_is_held_until_identified_by_hand(world):
    world.child("obama")
    world.decide("obama", world.website, Decision.GRANT)
    item = world.upload("identities/barack_obama/fr_obama3.jpg")
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.state == "held"
    assert [f.label for f in detail.faces] == ["unknown"]
    with pytest.raises(NotCleared, match="unknown face"):
        actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    actions.identify_face(world.ctx, item, 0, world.people["obama"], actor=MANAGER, setting_id=world.setting_id)
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "ready"
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1


def test_withdrawing_face_matching_deletes_templates_and_holds_the_item_again(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    change = world.decide("obama", FACE_MATCHING, Decision.REFUSE)
    assert change.templates_deleted == 2
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.state == "held"
    assert any("face-matching consent is not in force" in r for c in detail.channels for r in c.reasons)


def test_expired_consent_is_caught_by_the_periodic_sweep(world):
    from datetime import date, timedelta

    from gatekeeper.jobs.tasks import minute_sweep

    world.child("obama")
    world.decide("obama", FACE_MATCHING, Decision.GRANT)
    world.decide("obama", world.website, Decision.GRANT, expires=date.today() + timedelta(days=3))
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg")
    item = world.upload("identities/barack_obama/fr_obama3.jpg")
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1
    world.later(days=4)
    minute_sweep(world.app)
    assert world.published_files() == []
    assert "expired" in world.publications(item)[0].end_reason


def test_rejecting_purges_the_quarantined_copy_at_once(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    assert world.ctx.store.exists(item)
    actions.reject(world.ctx, item, actor=MANAGER, setting_id=world.setting_id)
    assert not world.ctx.store.exists(item)
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "purged"


def test_the_audit_log_tells_the_story_of_an_item(obama_and_biden):
    world = obama_and_biden
    item = world.upload(TWO_PEOPLE)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    world.decide("obama", world.website, Decision.REFUSE)
    with world.ctx.sessions() as session:
        tags = list(session.scalars(select(AuditEvent.tag).where(AuditEvent.subject == f"media:{item}")
                                    .order_by(AuditEvent.id)))
        assert verify_chain(session).ok
    assert tags == ["media:uploaded", "media:analysed", "media:approved", "media:published", "media:taken-down"]


def published_streams(path) -> list[str]:
    import av

    with av.open(str(path)) as container:
        return sorted(stream.type for stream in container.streams)


@pytest.mark.parametrize("keep_sound, streams", [(False, ["video"]), (True, ["audio", "video"])])
def test_a_video_is_published_without_its_sound_unless_the_manager_keeps_it(world, tmp_path, keep_sound, streams):
    from tests.media_factory import write_clip

    clip = write_clip(tmp_path / "garden.mov", fmt="mov")
    from consent_db.audit import Actor
    from gatekeeper.gate.ingest import receive_upload

    item = receive_upload(world.ctx, clip, uploader=Actor(label="staff (test)"), setting_id=world.setting_id).public_id
    assert item_detail(world.ctx, item, setting_id=world.setting_id).state == "ready", "a clip with no faces is cleared"
    if keep_sound:
        actions.keep_audio(world.ctx, item, True, actor=MANAGER, setting_id=world.setting_id)
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    [published] = world.published_files()
    assert published.suffix == ".mp4"
    assert published_streams(published) == streams
    quarantined = tmp_path / "quarantined.mp4"
    world.ctx.store.fetch_to(item, quarantined)
    assert published_streams(quarantined) == ["audio", "video"], "quarantine keeps the sound for the Manager"


def test_a_redacted_photo_is_analysed_again_and_the_face_is_gone(world):
    world.child("obama")
    item = world.upload("identities/barack_obama/fr_obama3.jpg")
    assert [f.label for f in item_detail(world.ctx, item, setting_id=world.setting_id).faces] == ["unknown"]
    before = world.ctx.store.open_bytes(item)
    actions.redact_faces(world.ctx, item, [0], actor=MANAGER, setting_id=world.setting_id)
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert detail.faces == () and detail.state == "ready"
    assert world.ctx.store.open_bytes(item) != before
    actions.approve(world.ctx, item, [world.website], actor=MANAGER, setting_id=world.setting_id)
    assert len(world.published_files()) == 1


def test_covering_one_face_keeps_the_managers_identification_of_the_other(world):
    for name in ("obama", "biden"):
        world.child(name)
        world.decide(name, world.website, Decision.GRANT)  # no face matching: both faces are unknown
    item = world.upload(TWO_PEOPLE)
    assert [f.label for f in item_detail(world.ctx, item, setting_id=world.setting_id).faces] == ["unknown"] * 2
    actions.identify_face(world.ctx, item, 0, world.people["obama"], actor=MANAGER, setting_id=world.setting_id)
    actions.identify_face(world.ctx, item, 1, world.people["biden"], actor=MANAGER, setting_id=world.setting_id)
    actions.redact_faces(world.ctx, item, [0], actor=MANAGER, setting_id=world.setting_id)
    detail = item_detail(world.ctx, item, setting_id=world.setting_id)
    assert [(f.label, f.by_manager) for f in detail.faces] == [("Biden Testchild", True)]
    assert detail.state == "ready"


def test_a_caption_with_a_childs_surname_is_refused(world):
    from gatekeeper.gate.actions import CaptionNotAllowed

    world.child("obama")
    item = world.upload("negatives/skimage_coffee.png")
    with pytest.raises(CaptionNotAllowed, match="surname"):
        actions.set_caption(world.ctx, item, "Coffee with the Testchild family", actor=MANAGER, setting_id=world.setting_id)
    assert actions.set_caption(world.ctx, item, "Obama's coffee morning", actor=MANAGER, setting_id=world.setting_id)
    assert item_detail(world.ctx, item, setting_id=world.setting_id).caption == "Obama's coffee morning"


def test_a_familys_data_lists_every_item_showing_the_child_and_where_it_went(obama_and_biden):
    from gatekeeper.gate.queue import media_showing

    world = obama_and_biden
    shown = world.upload(TWO_PEOPLE)
    world.upload("negatives/skimage_coffee.png")
    actions.approve(world.ctx, shown, [world.website], actor=MANAGER, setting_id=world.setting_id)
    world.decide("obama", world.website, Decision.REFUSE)
    with world.ctx.sessions() as session:
        [entry] = media_showing(session, world.people["obama"])
    assert entry.public_id == shown
    assert [(p["channel"], p["state"]) for p in entry.publications] == [("Website", "taken_down")]


def test_a_video_approved_for_a_channel_that_takes_photos_only_is_refused_and_nothing_is_approved(world, tmp_path):
    from consent_db import records
    from consent_db.audit import CLI, Actor
    from gatekeeper.gate.errors import GateError
    from gatekeeper.gate.ingest import receive_upload
    from tests.media_factory import write_clip

    with transaction(world.app) as session:
        facebook = records.add_channel(session, setting_id=world.setting_id, slug="facebook", name="Facebook page",
                                       description="Our page", actor=CLI,
                                       target={"kind": "facebook", "page_id": "1234", "page_token_env": "NO_SUCH_VAR"}).id
    clip = write_clip(tmp_path / "garden.mov", fmt="mov")
    item = receive_upload(world.ctx, clip, uploader=Actor(label="staff (test)"), setting_id=world.setting_id).public_id
    with pytest.raises(GateError, match="Facebook page takes photos only, not a video"):
        actions.approve(world.ctx, item, [world.website, facebook], actor=MANAGER, setting_id=world.setting_id)
    assert world.published_files() == [] and world.publications(item) == []
    with transaction(world.app) as session:
        assert session.scalars(select(Approval)).all() == [], "the website was not approved either"
