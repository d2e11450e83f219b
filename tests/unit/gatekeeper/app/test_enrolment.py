"""Reference-photo enrolment as a use case: the principal's role and setting are checked before any
photo is read, and a refusal keeps nothing."""
from __future__ import annotations

import io

import pytest

from consent_db import records
from consent_db.models import Role, Setting
from gatekeeper.app.enrolment import ReferencePhotoRefused, enrol_from_uploads
from gatekeeper.app.policy import Forbidden
from gatekeeper.app.principal import Principal

from .conftest import T0, add_child


class Unread(io.BytesIO):
    """A photo stream that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("a refused request must not read the photos")


def test_staff_and_parents_may_not_enrol(ctx, sessions, setting_id):
    child = add_child(sessions, setting_id)
    for who in (Principal(Role.STAFF, setting_id, account_id=1), Principal(Role.PARENT, setting_id, guardian_id=1)):
        with pytest.raises(Forbidden):
            enrol_from_uploads(ctx, who, child, [Unread()])


def test_a_person_of_another_setting_is_unknown(ctx, sessions, setting_id):
    child = add_child(sessions, setting_id)
    with sessions.begin() as db:
        oaks = Setting(name="Oaks", created_at=T0)
        db.add(oaks)
        db.flush()
        oaks_id = oaks.id
    with pytest.raises(records.UnknownPerson):
        enrol_from_uploads(ctx, Principal(Role.MANAGER, oaks_id, account_id=1), child, [Unread()])


def test_no_photo_or_too_many_is_refused_in_plain_words(ctx, sessions, setting_id):
    child = add_child(sessions, setting_id)
    manager = Principal(Role.MANAGER, setting_id, account_id=1)
    with pytest.raises(ReferencePhotoRefused, match="Choose a photo"):
        enrol_from_uploads(ctx, manager, child, [])
    with pytest.raises(ReferencePhotoRefused, match="at most"):
        enrol_from_uploads(ctx, manager, child, [Unread() for _ in range(6)])
