"""A small setting for the gate's scenarios: a website channel, two children with guardians, real models."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from consent_db import records
from consent_db.audit import CLI, Actor
from consent_db.models import Decision, GivenBy, Method, PersonKind, Publication
from consent_db.records import PersonFields
from consent_db.timeutil import now
from consent_db.verdicts import FACE_MATCHING
from gatekeeper.database import transaction
from gatekeeper.faces.enrolment import enroll_person
from gatekeeper.app.consent import record_consent
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.app.principal import operator
from gatekeeper.gate.ingest import receive_upload

MANAGER = Actor(label="manager (test)")


class World:
    """Drives one instance through the scenarios the way the Manager and parents would."""

    def __init__(self, app, faces_dir: Path):
        self.app, self.faces = app, faces_dir
        self.ctx = gate_context(app)
        with transaction(app) as session:
            self.setting_id = records.ensure_default_setting(session, name="Little Acorns").id
            self.website = records.add_channel(session, setting_id=self.setting_id, slug="website", name="Website",
                                               description="Our public website", actor=CLI).id
        self.drain_at_once = True
        self.people: dict[str, int] = {}
        self.guardians: dict[str, list[int]] = {}

    def child(self, name: str, guardians: int = 1) -> int:
        with transaction(self.app) as session:
            person = records.add_person(session, PersonFields(PersonKind.CHILD, name.title(), "Testchild",
                                                              born=date(2022, 1, 1)),
                                        setting_id=self.setting_id, actor=CLI)
            self.guardians[name] = [
                records.add_guardian(session, setting_id=self.setting_id, name=f"{name} parent {n}",
                                     email=f"{name}{n}@example.org", child_id=person.id, actor=CLI).id
                for n in range(guardians)]
        self.people[name] = person.id
        return person.id

    def uow(self):
        """A unit of work as the app makes it; with drain_at_once False, nothing drains the outbox after commit."""
        uow = unit_of_work(self.app)
        if not self.drain_at_once:
            uow.after_commit = None
        return uow

    def decide(self, name: str, purpose, decision: Decision, guardian: int = 0, expires=None):
        [change] = record_consent(self.uow(), operator(self.setting_id), person_id=self.people[name], purpose=purpose,
                                  decision=decision, given_by=GivenBy.GUARDIAN,
                                  guardian_id=self.guardians[name][guardian], method=Method.PORTAL, expires=expires)
        return change

    def consent_everything(self, name: str, guardian: int = 0):
        self.decide(name, FACE_MATCHING, Decision.GRANT, guardian)
        self.decide(name, self.website, Decision.GRANT, guardian)

    def enroll(self, name: str, *photos: str):
        return enroll_person(self.ctx, self.people[name], [self.faces / p for p in photos],
                             setting_id=self.setting_id, actor=MANAGER)

    def upload(self, photo: str) -> str:
        return receive_upload(self.ctx, self.faces / photo, uploader=Actor(label="staff (test)"), setting_id=self.setting_id).public_id

    def published_files(self) -> list[Path]:
        folder = Path(self.app.config["CHANNELS_DIR"]) / "website"
        return sorted(p for p in folder.glob("*") if not p.name.startswith(".")) if folder.exists() else []

    def publications(self, public_id: str) -> list[Publication]:
        from sqlalchemy import select

        from consent_db.models import MediaItem

        with self.ctx.sessions() as session:
            item_id = session.scalars(select(MediaItem.id).where(MediaItem.public_id == public_id)).one()
            return list(session.scalars(select(Publication).where(Publication.item_id == item_id)
                                        .order_by(Publication.id)))

    def later(self, days: int) -> None:
        """Move the gate's clock forward (consent expiry and leaving dates are read at that time)."""
        self.ctx.clock = lambda: now() + timedelta(days=days)


@pytest.fixture
def world(app, faces_dir) -> World:
    return World(app, faces_dir)


@pytest.fixture
def obama_and_biden(world) -> World:
    """Two enrolled children with every consent granted, in one photo together."""
    world.child("obama")
    world.child("biden")
    for name, photos in (("obama", ("identities/barack_obama/fr_obama.jpg", "identities/barack_obama/fr_obama2.jpg")),
                         ("biden", ("identities/joe_biden/fr_biden.jpg", "identities/joe_biden/fr_biden2.jpg"))):
        world.consent_everything(name)
        world.enroll(name, *photos)
    return world
