"""A Manager linking a parent by an email another family's guardian has must confirm, naming them."""
from __future__ import annotations

from sqlalchemy import select

from consent_db.models import GuardianLink
from consent_db import records
from consent_db.audit import CLI
from gatekeeper.database import transaction
from tests.web_world import post


def new_child(app, world) -> int:
    with transaction(app) as db:
        child = records.add_person(db, records.check_person(kind="child", first_name="Cy", surname="New"),
                                   setting_id=world.setting_id, actor=CLI)
        return child.id


def links_of(app, guardian_id) -> list[int]:
    with transaction(app) as db:
        return sorted(db.scalars(select(GuardianLink.child_id).where(GuardianLink.guardian_id == guardian_id)))


def test_another_familys_email_in_other_case_and_spaces_is_not_linked_without_confirmation(app, world, manager):
    child = new_child(app, world)
    response = post(app, manager, f"/manager/people/{child}/guardians",
                    {"name": "Cy's mum", "email": "  ANNE@Family.TEST ", "parental_responsibility": "yes"})
    assert response.status_code == 409
    page = response.data.decode()
    assert "Anne Lovelace" in page and "Ada Lovelace" in page and 'name="confirm_guardian_id"' in page
    assert links_of(app, world.guardian_id) == [world.child_id]


def test_confirming_the_named_guardian_links_them(app, world, manager):
    child = new_child(app, world)
    response = post(app, manager, f"/manager/people/{child}/guardians",
                    {"name": "Anne Lovelace", "email": "Anne@family.test", "parental_responsibility": "yes",
                     "confirm_guardian_id": str(world.guardian_id)})
    assert response.status_code == 302
    assert links_of(app, world.guardian_id) == sorted([world.child_id, child])


def test_a_confirmation_naming_another_guardian_does_not_count(app, world, manager):
    child = new_child(app, world)
    response = post(app, manager, f"/manager/people/{child}/guardians",
                    {"name": "Anne Lovelace", "email": "anne@family.test", "parental_responsibility": "yes",
                     "confirm_guardian_id": str(world.other_guardian_id)})
    assert response.status_code == 409
    assert links_of(app, world.guardian_id) == [world.child_id]


def test_a_new_email_is_linked_without_any_question(app, world, manager):
    child = new_child(app, world)
    response = post(app, manager, f"/manager/people/{child}/guardians",
                    {"name": "Cy's dad", "email": "dad@new.test", "parental_responsibility": "yes"})
    assert response.status_code == 302
