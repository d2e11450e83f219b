"""Covering a face in a video: the whole track, in every frame of the rendition, then checked again.

A clip with a consented child walking and a child without consent standing still is held; covering the
second child's track makes a new rendition in which the real detector finds no face where that child
was, in any frame, and the video can be approved and published instead of rejected.
"""
from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
from sqlalchemy import select

from consent_db.models import MediaItem, PublicationState
from gatekeeper.faces.detector import VIDEO_PLAN
from gatekeeper.faces.engine import load_picture
from gatekeeper.faces.geometry import clip_box
from gatekeeper.gate import actions
from gatekeeper.gate.errors import CannotRedact, NotCleared
from gatekeeper.gate.queue import item_detail
from gatekeeper.gate.redaction import RedactionStyle
from gatekeeper.gate.renditions import primary_rendition, store_key
from tests.rendition_clips import write_clip

from .conftest import MANAGER

pytestmark = pytest.mark.slow
FRAMES, RATE = 16, 8
WIDTH, HEIGHT = 320, 180
STILL = (60, 160, 220, 300)  # rows and columns of the child without consent: y0, y1, x0, x1


def walk_frames(known: np.ndarray, still: np.ndarray) -> list[np.ndarray]:
    frames = []
    for i in range(FRAMES):
        frame = np.full((HEIGHT, WIDTH, 3), 90, dtype=np.uint8)
        frame[30:130, 10 + 4 * i:90 + 4 * i] = known
        frame[STILL[0]:STILL[1], STILL[2]:STILL[3]] = still
        frames.append(frame)
    return frames


@pytest.fixture
def clip(tmp_path, faces_dir):
    obama = load_picture(faces_dir / "identities/barack_obama/fr_obama.jpg")[:, :, ::-1]
    biden = load_picture(faces_dir / "identities/joe_biden/fr_biden.jpg")[:, :, ::-1]
    known = cv2.resize(np.ascontiguousarray(obama[40:720, 250:850]), (80, 100))
    still = cv2.resize(np.ascontiguousarray(biden[100:650, 350:780]), (80, 100))
    return write_clip(tmp_path / "two_children.mp4", walk_frames(known, still), rate=RATE)


@pytest.fixture
def held_video(world, clip):
    world.child("obama")
    world.child("biden")  # enrolled nowhere, no consent: the face the Manager must cover
    world.consent_everything("obama")
    world.enroll("obama", "identities/barack_obama/fr_obama.jpg", "identities/barack_obama/fr_obama2.jpg")
    public_id = receive_upload_video(world, clip)
    detail = item_detail(world.ctx, public_id, setting_id=world.setting_id)
    assert detail.kind == "video" and detail.state == "held", detail
    return public_id


def receive_upload_video(world, path) -> str:
    from consent_db.audit import Actor
    from gatekeeper.gate.ingest import receive_upload

    return receive_upload(world.ctx, path, uploader=Actor(label="staff (test)"), setting_id=world.setting_id).public_id


def still_face(detail):
    unknown = [f for f in detail.faces if f.label != "Obama Testchild"]
    assert unknown and all(f.box[0] > 180 for f in unknown), detail.faces
    return unknown


def faces_in_every_frame(world, public_id):
    """The real detector run again over every frame of the item's rendition: (frame, box) for each face."""
    with world.ctx.sessions() as session:
        item = session.scalars(select(MediaItem).where(MediaItem.public_id == public_id)).one()
        rendition = primary_rendition(item)
        key, width = store_key(public_id, rendition.sha256), rendition.width
    path = world.ctx.work_dir / "check.mp4"
    world.ctx.store.fetch_to(key, path)
    detector = world.ctx.engine().detector
    found, frames = [], 0
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            image = frame.to_ndarray(format="bgr24")
            frames += 1
            for row in detector.detect(image, plan=VIDEO_PLAN):
                found.append((index, clip_box(row, image.shape[1], image.shape[0])))
    path.unlink()
    return found, frames, width


def test_covering_a_track_hides_that_face_in_every_frame_and_the_video_can_then_be_published(world, held_video):
    detail = item_detail(world.ctx, held_video, setting_id=world.setting_id)
    with pytest.raises(NotCleared):
        actions.approve(world.ctx, held_video, [world.website], actor=MANAGER, setting_id=world.setting_id)
    before, _, width = faces_in_every_frame(world, held_video)
    scale = width / WIDTH
    assert any(x > 200 * scale for _, (x, *_rest) in before)  # the detector does see the still child at first
    actions.redact_faces(world.ctx, held_video, [f.index for f in still_face(detail)], actor=MANAGER,
                         setting_id=world.setting_id)
    after, frames, width = faces_in_every_frame(world, held_video)
    assert frames == FRAMES
    assert [box for _, box in after if box[0] + box[2] > 230 * width / WIDTH] == []  # no face where the child stood
    assert len({index for index, _ in after}) >= FRAMES // 2  # the walking child is still there
    detail = item_detail(world.ctx, held_video, setting_id=world.setting_id)
    assert detail.state == "ready" and [f.label for f in detail.faces] == ["Obama Testchild"]
    assert actions.approve(world.ctx, held_video, [world.website], actor=MANAGER,
                           setting_id=world.setting_id) == [world.website]
    assert [p.state for p in world.publications(held_video)] == [PublicationState.PUBLISHED]


def test_a_video_face_can_only_be_filled_and_only_when_not_published(world, held_video):
    detail = item_detail(world.ctx, held_video, setting_id=world.setting_id)
    faces = [f.index for f in still_face(detail)]
    with pytest.raises(CannotRedact, match="solid fill"):
        actions.redact_faces(world.ctx, held_video, faces, actor=MANAGER, style=RedactionStyle.PIXELATE,
                             setting_id=world.setting_id)
    assert item_detail(world.ctx, held_video, setting_id=world.setting_id).state == "held"
