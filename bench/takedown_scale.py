"""bench/takedown.py --scale N: the minute job and one consent change with N live publications, before
the outbox (full sweep each minute) and after (outbox drain each minute, full sweep as a slow safety net).

Rows are synthetic (no models, no media): N published items, each showing one of N/10 children with
consent in force, so every re-decision reads the same rows a real one does.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select

from consent_db import migrate, records
from consent_db.audit import CLI
from consent_db.models import (
    Approval, Channel, ConsentDecision, Decision, GivenBy, ItemKind, ItemState, MediaFace, MediaItem, Method,
    Person, PersonKind, Publication, PublicationState,
)
from consent_db.consent import record_decision
from consent_db.timeutil import now
from gatekeeper import create_app
from gatekeeper.app.consent import record_consent
from gatekeeper.app.context import gate_context, unit_of_work
from gatekeeper.app.drain import drain
from gatekeeper.app.principal import operator
from gatekeeper.database import session_factory, transaction
from gatekeeper.doctor import ensure_folders
from gatekeeper.gate.takedown import sweep
from gatekeeper.instance import create_secrets
from gatekeeper.publishers.base import new_object_name

PER_CHILD = 10


def _fill(app, n: int) -> tuple[int, int, list[tuple[int, int]]]:
    """N live publications on one channel; returns (setting, channel, [(child, guardian)])."""
    at = now()
    children = max(n // PER_CHILD, 1)
    with transaction(app) as session:
        setting = records.ensure_default_setting(session, name="Bench").id
        channel = records.add_channel(session, setting_id=setting, slug="website", name="Website",
                                      description="bench", actor=CLI).id
        session.execute(insert(Person), [
            {"setting_id": setting, "kind": PersonKind.CHILD, "first_name": f"C{i}", "surname": "Bench",
             "date_of_birth": date(2021, 1, 1), "created_at": at} for i in range(children)])
        people = list(session.scalars(select(Person.id).order_by(Person.id)))
        families = []
        for pid in people:
            guardian = records.add_guardian(session, setting_id=setting, name="G", email=f"g{pid}@example.org",
                                            child_id=pid, actor=CLI, at=at).id
            families.append((pid, guardian))
        session.execute(insert(ConsentDecision), [
            {"person_id": pid, "channel_id": purpose, "face_matching": purpose is None, "decision": Decision.GRANT,
             "given_by": GivenBy.GUARDIAN, "guardian_id": gid, "method": Method.PORTAL, "recorded_at": at}
            for pid, gid in families for purpose in (channel, None)])
        session.execute(insert(MediaItem), [
            {"setting_id": setting, "public_id": f"bench{i:08d}", "kind": ItemKind.PHOTO, "mime": "image/jpeg",
             "extension": "jpg", "content_sha256": "0" * 64, "size_bytes": 1000, "width": 640, "height": 480,
             "state": ItemState.READY, "received_at": at, "analysed_at": at, "analysis_engine": "bench",
             "version": 1} for i in range(n)])
        items = list(session.scalars(select(MediaItem.id).order_by(MediaItem.id)))
        session.execute(insert(MediaFace), [
            {"item_id": item, "index": 0, "x": 10, "y": 10, "width": 100, "height": 100, "score": 0.99,
             "engine_status": "identified", "engine_reason": "bench", "engine_person_id": people[k % len(people)],
             "distance": 0.2, "margin": 0.3} for k, item in enumerate(items)])
        session.execute(insert(Approval), [
            {"item_id": item, "channel_id": channel, "content_sha256": "0" * 64, "approved_by_label": "bench",
             "approved_at": at} for item in items])
        approvals = list(session.scalars(select(Approval.id).order_by(Approval.id)))
        target = gate_context(app).channel_target(session.get(Channel, channel))
        session.execute(insert(Publication), [
            {"item_id": item, "channel_id": channel, "approval_id": approval, "state": PublicationState.PUBLISHED,
             "object_name": new_object_name("jpg"), "target": target, "content_type": "image/jpeg",
             "intent_at": at, "published_at": at} for item, approval in zip(items, approvals)])
    return setting, channel, families


def _timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def _line(name: str, samples: list[float]) -> str:
    return (f"{name:<58} median {statistics.median(samples):8.3f} s  min {min(samples):8.3f} s  "
            f"(n={len(samples)})")


def scale(n: int, *, rounds: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        create_secrets(instance)
        config = {"SESSION_COOKIE_SECURE": False, "JOBS_URL": "memory://"}
        if database_url:
            config["DATABASE_URL"] = database_url
        app = create_app(config, instance_dir=str(instance))
        migrate.upgrade(session_factory(app).kw["bind"])
        ensure_folders(app)
        start = time.perf_counter()
        setting, channel, families = _fill(app, n)
        fill = time.perf_counter() - start
        ctx = gate_context(app)
        every = app.config["SAFETY_SWEEP_MINUTES"]
        print(f"{n} live publications ({len(families)} children), {session_factory(app).kw['bind'].dialect.name}; "
              f"filled in {fill:.1f} s")

        full = [_timed(lambda: sweep(ctx)) for _ in range(rounds)]
        empty_drain = [_timed(lambda: drain(ctx)) for _ in range(rounds)]

        def change_before(child, guardian):
            # Before: the decision's own transaction, then the person's sweep job (the minute's full sweep
            # came on top of it, counted in the idle minute).
            with unit_of_work(app) as uow:
                record_decision(uow.session, setting_id=setting, person_id=child, purpose=channel,
                                decision=Decision.REFUSE, given_by=GivenBy.GUARDIAN, guardian_id=guardian,
                                method=Method.PORTAL, at=uow.at)
            sweep(ctx, person_id=child)

        def change_after(child, guardian):
            uow = unit_of_work(app)
            uow.after_commit = None  # drained here, as the drain job would, so the time is counted
            record_consent(uow, operator(setting), person_id=child, purpose=channel, decision=Decision.REFUSE, given_by=GivenBy.GUARDIAN,
                           guardian_id=guardian, method=Method.PORTAL)
            drain(ctx)

        before = [_timed(lambda f=f: change_before(*f)) for f in families[:rounds]]
        after = [_timed(lambda f=f: change_after(*f)) for f in families[rounds:2 * rounds]]
        with ctx.sessions() as session:
            live = session.scalar(select(func.count()).select_from(Publication)
                                  .where(Publication.state == PublicationState.PUBLISHED))
        # Each measured change must really have taken its child's copies down, or the times mean nothing.
        assert live == n - PER_CHILD * (len(before) + len(after)), f"{live} still live"
        print(_line("idle minute, before: full sweep every minute", full))
        print(_line("idle minute, after: outbox drain (nothing due)", empty_drain))
        amortised = [d + f / every for d, f in zip(empty_drain, full)]
        print(_line(f"idle minute, after, with the full sweep every {every} min amortised", amortised))
        print(_line(f"one consent change, before: decision + person sweep ({PER_CHILD} copies down)", before))
        print(_line(f"one consent change, after: decision + outbox row + drain ({PER_CHILD} copies down)", after))
