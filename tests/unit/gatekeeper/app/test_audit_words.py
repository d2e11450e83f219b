"""The audit log as a Manager reads it: names for ids, one sentence per kind, pages and filters; the raw
row stays available, and rows of other settings never show."""
from __future__ import annotations

import pytest

from consent_db import audit, records
from consent_db.audit import CLI, AuditTag
from consent_db.models import AuditEvent, Setting
from gatekeeper.app import audit_words
from gatekeeper.app.audit_log import AuditFilter, readable
from gatekeeper.app.policy import PolicyError
from gatekeeper.app.principal import Principal, Role, operator
from gatekeeper.app.uow import UnitOfWork

from .conftest import T0


@pytest.fixture
def story(sessions, setting_id):
    with sessions.begin() as session:
        child = records.add_person(session, records.check_person(kind="child", first_name="Ada", surname="Lovelace"),
                                   setting_id=setting_id, actor=CLI, at=T0)
        guardian = records.add_guardian(session, setting_id=setting_id, name="Anne Lovelace", email="anne@x.test",
                                        child_id=child.id, actor=CLI, at=T0)
        website = records.add_channel(session, setting_id=setting_id, slug="website", name="Our website",
                                      description="d", actor=CLI, at=T0)
        audit.record(session, AuditTag.CONSENT_WITHDRAWN, subject=f"person:{child.id}", setting_id=setting_id,
                     actor_label=CLI.label, at=T0,
                     details={"purpose": website.id, "given_by": "guardian", "guardian_id": guardian.id,
                              "method": "portal"})
        other = Setting(name="Elsewhere", created_at=T0)
        session.add(other)
        session.flush()
        audit.record(session, AuditTag.PERSON_ADDED, subject="person:999", setting_id=other.id,
                     details={"kind": "child", "source": "manual"}, at=T0)
        return {"child": child.id, "guardian": guardian.id, "website": website.id}


def read(sessions, setting_id, where=AuditFilter(), **kw):
    return readable(UnitOfWork(sessions), operator(setting_id), where, **kw)


def test_events_read_as_sentences_with_names_not_ids(sessions, setting_id, story):
    page = read(sessions, setting_id)
    sentences = [e.sentence for e in page.events]
    assert sentences[0] == ("Consent for Our website was withdrawn for Ada Lovelace by Anne Lovelace in the "
                            "parent portal.")
    assert "Anne Lovelace was linked to Ada Lovelace with parental responsibility." in sentences
    assert "Ada Lovelace was added as child (manual)." in sentences
    assert page.events[0].who == "the operator (command line)"
    assert page.events[0].raw["details"]["guardian_id"] == story["guardian"], "the raw row is kept for the disclosure"
    assert all("person 999" not in s for s in sentences), "another setting's rows never show"


def test_a_staff_members_own_consent_is_not_said_to_come_from_the_parent_portal(sessions, setting_id, story):
    with sessions.begin() as session:
        staff = records.add_person(session, records.check_person(kind="staff", first_name="Sam", surname="Staff"),
                                   setting_id=setting_id, actor=CLI, at=T0)
        audit.record(session, AuditTag.CONSENT_GRANTED, subject=f"person:{staff.id}", setting_id=setting_id,
                     actor_label=CLI.label, at=T0,
                     details={"purpose": story["website"], "given_by": "self", "method": "portal"})
    assert read(sessions, setting_id).events[0].sentence == (
        "Consent for Our website was given for Sam Staff by themself on their own consent page.")


def test_an_account_is_named_by_its_person_and_a_tablet_by_its_name(sessions, setting_id, story):
    with sessions.begin() as session:
        from consent_db.models import Account, Device

        session.add(Account(id=7, setting_id=setting_id, email="sam@x.test", password_hash="x", role="staff",
                            person_id=story["child"], created_at=T0))
        session.add(Device(id=3, setting_id=setting_id, name="Rainbow tablet", token_hash="t" * 64, paired_at=T0))
        session.flush()
        audit.record(session, AuditTag.MEDIA_UPLOADED, subject="media:abc", setting_id=setting_id, at=T0,
                     actor_account_id=7, device_id=3, details={"kind": "photo"})
        audit.record(session, AuditTag.ACCOUNT_SIGNED_IN, subject="account:8", setting_id=setting_id, at=T0,
                     actor_account_id=8, details={})
    first, second = read(sessions, setting_id).events[:2]
    assert second.who == "Ada Lovelace on Rainbow tablet"
    assert first.who == "a former account (no. 8)" and "account 8" not in first.sentence


def test_pages_hold_every_event_once_newest_first(sessions, setting_id, story):
    with sessions.begin() as session:
        for n in range(23):
            audit.record(session, AuditTag.DEVICE_RENAMED, subject="device:1", setting_id=setting_id, at=T0,
                         details={"from": f"t{n}", "to": f"t{n + 1}"})
        total = session.query(AuditEvent).filter(AuditEvent.setting_id == setting_id).count()
    assert 20 < total <= 30
    pages = [read(sessions, setting_id, page=n, per_page=10) for n in (1, 2, 3)]
    ids = [e.id for page in pages for e in page.events]
    assert ids == sorted(ids, reverse=True) and len(ids) == len(set(ids)) == total
    assert pages[0].total == total and pages[0].pages == 3 and pages[0].has_next and not pages[2].has_next


def test_filters_by_person_item_and_kind(sessions, setting_id, story):
    about_ada = read(sessions, setting_id, AuditFilter(person_id=story["child"]))
    assert {e.raw["subject"] for e in about_ada.events} == {f"person:{story['child']}"} and about_ada.total == 3
    consent = read(sessions, setting_id, AuditFilter(kind="consent"))
    assert [e.tag for e in consent.events] == ["consent:withdrawn"]
    assert read(sessions, setting_id, AuditFilter(kind="channel:added")).total == 1
    assert read(sessions, setting_id, AuditFilter(item="nothing")).total == 0


def test_bad_filters_and_pages_are_refused(sessions, setting_id, story):
    with pytest.raises(ValueError):
        read(sessions, setting_id, AuditFilter(person_id=story["child"], item="abc"))
    with pytest.raises(ValueError):
        read(sessions, setting_id, page=0)
    with pytest.raises(records.UnknownPerson):
        read(sessions, setting_id, AuditFilter(person_id=999))
    with pytest.raises(PolicyError):
        readable(UnitOfWork(sessions), Principal(Role.STAFF, setting_id, account_id=1), AuditFilter())


def test_every_tag_has_a_sentence():
    assert {tag.value for tag in AuditTag} <= set(audit_words.SENTENCES)


def test_an_old_row_with_unexpected_details_still_reads(sessions, setting_id):
    names = audit_words.Names()
    event = {"tag": "media:redacted", "subject": "media:x", "details": {"faces": 5}}
    assert audit_words.sentence(event, names) == "media:redacted (a photo or video)"
    assert audit_words.sentence({"tag": "new:kind", "subject": None, "details": {}}, names) == "new:kind"
