"""Reference photos for face matching: only under face-matching consent, sanitised, all or nothing."""
from __future__ import annotations

import io

import pytest

from consent_db import templates
from gatekeeper.database import transaction
from gatekeeper.faces.plugins import FaceEngine, PluginError
from gatekeeper.app.context import gate_context
from tests.unit.gatekeeper.faces.face_fakes import FixedDetector, VectorRecogniser, face_row, unit
from tests.web_world import post


@pytest.fixture
def clear_face(app):
    engine = FaceEngine(FixedDetector([face_row(70, 20, 110, 110, score=0.95)]), VectorRecogniser({70.0: unit(3)}))
    gate_context(app).engine_factory = lambda _config: engine
    return engine


def send(app, manager, person_id, *files):
    return post(app, manager, f"/manager/people/{person_id}/reference-photo",
                {"photo": [(io.BytesIO(data), name) for name, data in files]}, content_type="multipart/form-data")


def count(app, person_id) -> int:
    with transaction(app) as db:
        return templates.count_templates(db, person_id)


def test_without_face_matching_consent_nothing_is_looked_at_or_kept(app, world, manager, clear_face, photo_bytes):
    response = send(app, manager, world.child_id, ("ada.jpg", photo_bytes))
    assert response.status_code == 400 and b"no face-matching consent" in response.data
    assert clear_face.detector.seen == [] and count(app, world.child_id) == 0


def test_with_consent_a_clear_photo_is_enrolled(app, world, manager, parent, clear_face, photo_bytes):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": "face-matching", "decision": "grant"})
    response = send(app, manager, world.child_id, ("ada.jpg", photo_bytes), ("ada2.jpg", photo_bytes))
    assert response.status_code == 302 and count(app, world.child_id) == 2
    assert b"2 reference photos enrolled" in manager.get(response.location).data
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": "face-matching", "decision": "refuse"})
    assert count(app, world.child_id) == 0


def test_a_file_that_is_not_a_photo_is_refused(app, world, manager, parent, clear_face):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": "face-matching", "decision": "grant"})
    response = send(app, manager, world.child_id, ("notes.txt", b"just text"))
    assert response.status_code == 400 and count(app, world.child_id) == 0


def test_a_photo_without_a_clear_face_is_refused_with_the_reason(app, world, manager, parent, photo_bytes):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": "face-matching", "decision": "grant"})
    gate_context(app).engine_factory = lambda _c: FaceEngine(FixedDetector([]), VectorRecogniser({0.0: unit(1)}))
    response = send(app, manager, world.child_id, ("ada.jpg", photo_bytes))
    assert response.status_code == 400 and b"No face was found" in response.data


def test_unusable_models_are_reported_plainly(app, world, manager, parent, photo_bytes):
    post(app, parent, f"/family/child/{world.child_id}/consent", {"purpose": "face-matching", "decision": "grant"})

    def broken(_config):
        raise PluginError("DETECTOR = 'nope' is not known")

    gate_context(app).engine_factory = broken
    response = send(app, manager, world.child_id, ("ada.jpg", photo_bytes))
    assert response.status_code == 400 and b"not working on this installation" in response.data


def test_no_photo_too_many_photos_or_an_unknown_person(app, world, manager, photo_bytes):
    assert post(app, manager, f"/manager/people/{world.child_id}/reference-photo", {},
                content_type="multipart/form-data").status_code == 400
    six = [(f"{n}.jpg", photo_bytes) for n in range(6)]
    assert b"Choose at most 5 photos" in send(app, manager, world.child_id, *six).data
    assert send(app, manager, 9999, ("a.jpg", photo_bytes)).status_code == 404
