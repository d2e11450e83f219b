"""People, guardians and channels: checked on the way in, audited, and nothing half-written."""
from __future__ import annotations

import pytest

from consent_db import audit, records
from consent_db.audit import CLI
from consent_db.models import PersonKind

from .conftest import T0, row_counts


def test_the_default_setting_is_made_once(session):
    first = records.ensure_default_setting(session, name="Acorns", at=T0)
    again = records.ensure_default_setting(session, name="Other name", at=T0)
    assert again.id == first.id and again.name == "Acorns" and first.consent_ends_on_leaving
    assert len(audit.list_events(session, tag_prefix="setting:")) == 1


def test_without_a_setting_records_say_to_run_init(session):
    with pytest.raises(records.NoSetting, match="gatekeeper init"):
        records.default_setting(session)


def test_people_are_added_listed_and_audited_without_names(session, world):
    kids = records.list_people(session, setting_id=world.setting_id, kind=PersonKind.CHILD)
    assert [p.first_name for p in kids] == ["Ada", "Alan"]
    event = audit.list_events(session, tag_prefix="person:added")[0]
    assert "Grace" not in event.details and "Hopper" not in event.details


@pytest.mark.parametrize("fields, words", [
    pytest.param(dict(kind="parent"), "not one of", id="unknown kind"),
    pytest.param(dict(first_name="  "), "first name must not be empty", id="empty first name"),
    pytest.param(dict(surname="x" * 101), "longer than", id="long surname"),
    pytest.param(dict(born="04/03/2021"), "not a date", id="date in the wrong format"),
    pytest.param(dict(born="2021-02-30"), "not a date", id="impossible date"),
    pytest.param(dict(born="2999-01-01"), "in the future", id="born in the future"),
    pytest.param(dict(born="2021-01-01", starts="2020-01-01"), "before the date of birth", id="starts before birth"),
    pytest.param(dict(starts="2024-09-01", leaves="2024-08-01"), "before the start date", id="leaves before starting"),
])
def test_bad_person_details_are_refused(fields, words):
    values = dict(kind="child", first_name="Ada", surname="Lovelace")
    values.update(fields)
    with pytest.raises(records.InvalidRecord, match=words):
        records.check_person(**values)


def test_a_guardian_with_the_same_email_is_linked_not_duplicated(session, world):
    again = records.add_guardian(session, setting_id=world.setting_id, name="Anne", email="ANNE@example.org",
                                 child_id=world.other_child, actor=CLI)
    assert again.id == world.mum
    assert {link.child_id for link in again.links} == {world.child, world.other_child}


@pytest.mark.parametrize("overrides, error, words", [
    pytest.param(dict(child_id=9999), records.UnknownPerson, "no person 9999", id="unknown child"),
    pytest.param(dict(child_id="staff"), records.InvalidRecord, "staff, not a child", id="staff member as child"),
    pytest.param(dict(email="anne@"), records.InvalidRecord, "not an email", id="bad email"),
    pytest.param(dict(name=" "), records.InvalidRecord, "must not be empty", id="no name"),
    pytest.param(dict(email="anne@example.org"), records.InvalidRecord, "already linked", id="linked twice"),
])
def test_bad_guardians_are_refused_and_change_nothing(session, world, overrides, error, words):
    args = dict(setting_id=world.setting_id, name="Eve", email="eve@example.org", child_id=world.child, actor=CLI)
    args.update(overrides)
    if args["child_id"] == "staff":
        args["child_id"] = world.staff
    before = row_counts(session)
    with pytest.raises(error, match=words):
        records.add_guardian(session, **args)
    assert row_counts(session) == before


@pytest.mark.parametrize("slug, description, words", [
    pytest.param("Web Site", "d", "lower-case", id="bad slug"),
    pytest.param("face-matching", "d", "reserved", id="reserved slug"),
    pytest.param("website", "d", "already exists", id="taken slug"),
    pytest.param("screens", "  ", "description", id="no description"),
])
def test_bad_channels_are_refused_and_change_nothing(session, world, slug, description, words):
    before = row_counts(session)
    with pytest.raises(records.InvalidRecord, match=words):
        records.add_channel(session, setting_id=world.setting_id, slug=slug, name="N", description=description, actor=CLI)
    assert row_counts(session) == before


def test_channels_are_found_by_id_or_slug_within_the_setting(session, world):
    assert records.get_channel(session, "website", setting_id=world.setting_id).id == world.website
    assert records.get_channel(session, str(world.newsletter), setting_id=world.setting_id).slug == "newsletter"
    with pytest.raises(records.UnknownChannel):
        records.get_channel(session, world.website, setting_id=world.setting_id + 1)


def test_a_leaving_date_can_be_set_later_and_is_audited(session, world):
    person = records.set_leaving_date(session, world.child, "2026-07-17", setting_id=world.setting_id, actor=CLI)
    assert str(person.leaving_date) == "2026-07-17"
    assert '"to":"2026-07-17"' in audit.list_events(session, tag_prefix="person:updated")[0].details
    assert records.set_leaving_date(session, world.child, None, setting_id=world.setting_id, actor=CLI).leaving_date is None


@pytest.mark.parametrize("person, leaves, error", [
    pytest.param(9999, "2026-07-17", records.UnknownPerson, id="unknown person"),
    pytest.param("child", "17/07/2026", records.InvalidRecord, id="bad date"),
    pytest.param("started", "2024-01-01", records.InvalidRecord, id="before the start date"),
])
def test_a_bad_leaving_date_changes_nothing(session, world, person, leaves, error):
    if person == "started":
        fields = records.check_person(kind="child", first_name="Mo", surname="Farah", starts="2024-09-01")
        person = records.add_person(session, fields, setting_id=world.setting_id, actor=CLI).id
    elif person == "child":
        person = world.child
    before = row_counts(session)
    with pytest.raises(error):
        records.set_leaving_date(session, person, leaves, setting_id=world.setting_id, actor=CLI)
    assert row_counts(session) == before
