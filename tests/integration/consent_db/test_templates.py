"""Face templates: stored sealed, only under face-matching consent, and gone when it ends."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select, text

from consent_db import audit, templates
from consent_db.consent import record_decision
from consent_db.models import FaceTemplate
from consent_db.records import UnknownPerson
from consent_db.verdicts import FACE_MATCHING

from .conftest import DATA_KEY, T0, row_counts

VECTOR = np.arange(128, dtype=np.float32).tobytes()


def day(n: int):
    return T0 + timedelta(days=n)


def grant_face_matching(session, world, person=None, expires=None):
    person = person or world.child
    if person == world.staff:
        return record_decision(session, setting_id=world.setting_id, person_id=person, purpose=FACE_MATCHING, decision="grant", given_by="self",
                               method="dashboard", at=day(1), expires=expires)
    return record_decision(session, setting_id=world.setting_id, person_id=person, purpose=FACE_MATCHING, decision="grant", given_by="guardian",
                           guardian_id=world.mum, method="portal", at=day(1), expires=expires)


def test_enrolling_without_face_matching_consent_is_refused_and_stores_nothing(session, world):
    before = row_counts(session)
    with pytest.raises(templates.NoFaceMatchingConsent, match="no face-matching consent"):
        templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=VECTOR, reference_photo=b"jpg", at=day(2))
    assert row_counts(session) == before


def test_enrolling_for_an_unknown_person_or_empty_template_is_refused(session, world):
    with pytest.raises(UnknownPerson):
        templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=9999, template=VECTOR, reference_photo=None, at=day(2))
    grant_face_matching(session, world)
    before = row_counts(session)
    with pytest.raises(templates.EmptyTemplate):
        templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"", reference_photo=None, at=day(2))
    assert row_counts(session) == before


def test_templates_are_stored_sealed_and_come_back_in_the_gallery(session, world):
    grant_face_matching(session, world)
    row = templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=VECTOR,
                                    reference_photo=b"photo-bytes", at=day(2), actor_account_id=None)
    session.commit()
    stored = session.scalars(select(FaceTemplate)).one()
    assert VECTOR not in stored.sealed_template and b"photo-bytes" not in stored.sealed_photo
    assert templates.load_gallery(session, DATA_KEY, setting_id=world.setting_id, at=day(3)) == [(world.child, VECTOR)]
    assert templates.reference_photos(session, DATA_KEY, person_id=world.child, at=day(3)) == [b"photo-bytes"]
    assert templates.count_templates(session, world.child) == 1
    assert audit.list_events(session, tag_prefix="template:enrolled")[0].subject == f"person:{world.child}"
    assert row.id == stored.id


def test_the_gallery_leaves_out_people_whose_consent_lapsed_since_enrolment(session, world):
    grant_face_matching(session, world, expires=date(2025, 9, 10))
    grant_face_matching(session, world, person=world.staff)
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"child", reference_photo=None, at=day(2))
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.staff, template=b"staff", reference_photo=None, at=day(2))
    assert len(templates.load_gallery(session, DATA_KEY, setting_id=world.setting_id, at=day(3))) == 2
    assert templates.load_gallery(session, DATA_KEY, setting_id=world.setting_id, at=day(20)) == [(world.staff, b"staff")]
    assert templates.reference_photos(session, DATA_KEY, person_id=world.child, at=day(20)) == []


def test_purging_lapsed_templates_deletes_them_with_an_audit_event(session, world):
    grant_face_matching(session, world, expires=date(2025, 9, 10))
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"child", reference_photo=None, at=day(2))
    assert templates.purge_lapsed_templates(session, setting_id=world.setting_id, at=day(3)) == {}
    assert templates.purge_lapsed_templates(session, setting_id=world.setting_id, at=day(20)) == {world.child: 1}
    assert templates.count_templates(session, world.child) == 0
    assert audit.list_events(session, tag_prefix="template:deleted")


def test_a_template_moved_to_another_person_does_not_unseal(session, world):
    grant_face_matching(session, world)
    grant_face_matching(session, world, person=world.staff)
    child_row = templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"child", reference_photo=None, at=day(2))
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.staff, template=b"staff", reference_photo=None, at=day(2))
    session.commit()
    session.execute(text("UPDATE face_templates SET person_id = :p WHERE id = :i"), {"p": world.staff, "i": child_row.id})
    session.commit()
    assert templates.load_gallery(session, DATA_KEY, setting_id=world.setting_id, at=day(3)) == [(world.staff, b"staff")]


def test_a_template_under_another_key_does_not_unseal(session, world):
    grant_face_matching(session, world)
    templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=b"child", reference_photo=None, at=day(2))
    assert templates.load_gallery(session, bytes(32), setting_id=world.setting_id, at=day(3)) == []


def test_deleting_a_persons_templates_is_audited_and_counts_them(session, world):
    grant_face_matching(session, world)
    for n in range(3):
        templates.enroll_template(session, DATA_KEY, setting_id=world.setting_id, person_id=world.child, template=bytes([n + 1]), reference_photo=None, at=day(2))
    assert templates.delete_person_templates(session, world.child, reason="Manager removed them", actor_label="m") == 3
    assert templates.delete_person_templates(session, world.child, reason="again") == 0
    events = audit.list_events(session, tag_prefix="template:deleted")
    assert len(events) == 1 and '"count":3' in events[0].details
