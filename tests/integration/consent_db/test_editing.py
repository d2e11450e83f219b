"""Editing and archiving people, guardians and channels: audited, never deleted, refused cleanly."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from consent_db import audit, editing, records
from consent_db.audit import CLI
from consent_db.consent import consent_in_force
from consent_db.models import GuardianLink, Person, Setting

from .conftest import T0, row_counts

LATER = T0 + timedelta(days=30)


def fields(**changes):
    base = {"kind": "child", "first_name": "Ada", "surname": "Lovelace", "born": "2021-03-04"}
    return records.check_person(**{**base, **changes})


def last_event(session, prefix):
    [event] = audit.list_events(session, tag_prefix=prefix, limit=1)
    return event.tag, json.loads(event.details)


def test_editing_a_person_stores_and_audits_what_changed_without_names(session, world):
    change = editing.update_person(session, world.child, fields(first_name="Augusta", room="Oaks"),
                                   setting_id=world.setting_id, actor=CLI)
    assert set(change.changed) == {"first_name", "room"} and not change.leaving_changed
    assert session.get(Person, world.child).first_name == "Augusta"
    tag, details = last_event(session, "person:updated")
    assert details == {"first_name": "changed", "room": {"from": None, "to": "Oaks"}, "source": "manual"}


def test_an_edit_that_changes_nothing_records_nothing(session, world):
    before = row_counts(session)
    assert editing.update_person(session, world.child, fields(), setting_id=world.setting_id, actor=CLI).changed == {}
    assert row_counts(session) == before


@pytest.mark.parametrize("given, words", [
    (dict(kind="staff"), "kind cannot change"),
    (dict(starts="2020-01-01"), "before the date of birth"),
])
def test_a_bad_edit_is_refused(session, world, given, words):
    with pytest.raises(records.InvalidRecord, match=words):
        editing.update_person(session, world.child, fields(**given), setting_id=world.setting_id, actor=CLI)


def test_a_person_of_another_setting_is_unknown(session, world):
    other = Setting(name="Elsewhere", created_at=T0)
    session.add(other)
    session.flush()
    with pytest.raises(records.UnknownPerson):
        editing.update_person(session, world.child, fields(), setting_id=other.id, actor=CLI)
    with pytest.raises(records.UnknownPerson):
        editing.archive_person(session, world.child, setting_id=other.id, actor=CLI)
    with pytest.raises(records.UnknownChannel):
        editing.archive_channel(session, world.website, setting_id=other.id, actor=CLI)
    with pytest.raises(records.UnknownGuardian):
        editing.archive_guardian(session, world.mum, setting_id=other.id, actor=CLI)


def _grant(session, world):
    from consent_db.consent import record_decision
    from consent_db.models import Decision, GivenBy, Method

    record_decision(session, setting_id=world.setting_id, person_id=world.child, purpose=world.website,
                    decision=Decision.GRANT, given_by=GivenBy.GUARDIAN, method=Method.PORTAL, guardian_id=world.mum,
                    actor_label=CLI.label, at=T0)


def test_archiving_a_child_hides_them_keeps_them_and_ends_consent_as_leaving_does(session, world):
    _grant(session, world)
    assert consent_in_force(session, [world.child], world.website, LATER)[world.child].allowed
    change = editing.archive_person(session, world.child, setting_id=world.setting_id, actor=CLI, at=LATER)
    assert change.leaving_changed and change.person.leaving_date == LATER.date()
    assert world.child not in [p.id for p in records.list_people(session, setting_id=world.setting_id)]
    assert [p.id for p in records.list_people(session, setting_id=world.setting_id, archived=True)] == [world.child]
    verdict = consent_in_force(session, [world.child], world.website, LATER)[world.child]
    assert not verdict.allowed and verdict.reason.value == "left_setting"
    assert last_event(session, "person:archived")[1] == {"leaves": {"from": None, "to": LATER.date().isoformat()}}
    with pytest.raises(editing.Archived):
        editing.archive_person(session, world.child, setting_id=world.setting_id, actor=CLI)
    with pytest.raises(editing.Archived):
        editing.update_person(session, world.child, fields(), setting_id=world.setting_id, actor=CLI)


def test_archiving_keeps_consent_where_the_setting_keeps_it_after_leaving(session, world):
    _grant(session, world)
    session.get(Setting, world.setting_id).consent_ends_on_leaving = False
    editing.archive_person(session, world.child, setting_id=world.setting_id, actor=CLI, at=LATER)
    assert consent_in_force(session, [world.child], world.website, LATER)[world.child].allowed


def test_an_earlier_leaving_date_is_kept_when_archiving(session, world):
    session.get(Person, world.child).leaving_date = date(2025, 7, 1)
    change = editing.archive_person(session, world.child, setting_id=world.setting_id, actor=CLI, at=LATER)
    assert not change.leaving_changed and change.person.leaving_date == date(2025, 7, 1)


def test_a_restored_person_is_listed_again_and_keeps_the_leaving_date(session, world):
    editing.archive_person(session, world.child, setting_id=world.setting_id, actor=CLI, at=LATER)
    with pytest.raises(records.InvalidRecord, match="is not archived"):
        editing.restore_person(session, world.other_child, setting_id=world.setting_id, actor=CLI)
    person = editing.restore_person(session, world.child, setting_id=world.setting_id, actor=CLI)
    assert person.archived_at is None and person.leaving_date == LATER.date()
    assert world.child in [p.id for p in records.list_people(session, setting_id=world.setting_id)]


def test_editing_a_guardian_refuses_an_email_another_guardian_has(session, world):
    assert editing.update_guardian(session, world.mum, setting_id=world.setting_id, name="Anne King",
                                   email="Anne.King@example.org", phone="0161 000", actor=CLI) == ["name", "email", "phone"]
    assert last_event(session, "guardian:updated")[1] == {"changed": ["name", "email", "phone"]}
    for email, words in (("bill@example.org", "already the email of guardian"), ("nope", "not an email")):
        with pytest.raises(records.InvalidRecord, match=words):
            editing.update_guardian(session, world.mum, setting_id=world.setting_id, name="A", email=email,
                                    phone=None, actor=CLI)
    with pytest.raises(records.InvalidRecord, match="must not be empty"):
        editing.update_guardian(session, world.mum, setting_id=world.setting_id, name=" ", email="a@b.org",
                                phone=None, actor=CLI)


def test_parental_responsibility_can_be_taken_away_and_that_is_audited(session, world):
    assert editing.set_parental_responsibility(session, world.dad, world.child, False, setting_id=world.setting_id,
                                               actor=CLI)
    assert session.get(GuardianLink, (world.dad, world.child)).parental_responsibility is False
    assert not editing.set_parental_responsibility(session, world.dad, world.child, False,
                                                   setting_id=world.setting_id, actor=CLI), "no change, no event"
    with pytest.raises(records.InvalidRecord, match="not linked"):
        editing.set_parental_responsibility(session, world.stranger, world.child, True,
                                            setting_id=world.setting_id, actor=CLI)


def test_an_archived_guardian_is_hidden_from_edits_but_their_link_stays(session, world):
    editing.archive_guardian(session, world.dad, setting_id=world.setting_id, actor=CLI)
    assert session.get(GuardianLink, (world.dad, world.child)).parental_responsibility
    with pytest.raises(editing.Archived):
        editing.update_guardian(session, world.dad, setting_id=world.setting_id, name="B", email="b@x.org",
                                phone=None, actor=CLI)
    with pytest.raises(editing.Archived):
        editing.archive_guardian(session, world.dad, setting_id=world.setting_id, actor=CLI)


def test_a_channel_can_be_renamed_and_archived_but_not_emptied(session, world):
    assert editing.update_channel(session, "website", setting_id=world.setting_id, name="Our website",
                                  description="Photos on our public website.", actor=CLI) == ["name", "description"]
    with pytest.raises(records.InvalidRecord, match="description"):
        editing.update_channel(session, "website", setting_id=world.setting_id, name="W", description=" ", actor=CLI)
    editing.archive_channel(session, world.website, setting_id=world.setting_id, actor=CLI)
    assert [c.id for c in records.list_channels(session, setting_id=world.setting_id)] == [world.newsletter]
    assert [c.id for c in records.list_channels(session, setting_id=world.setting_id, archived=None)] == \
        [world.website, world.newsletter]
    for attempt in (lambda: editing.archive_channel(session, world.website, setting_id=world.setting_id, actor=CLI),
                    lambda: editing.update_channel(session, world.website, setting_id=world.setting_id, name="X",
                                                   description="Y", actor=CLI)):
        with pytest.raises(editing.Archived):
            attempt()
