"""How long consent_in_force takes for every person of a big setting, on SQLite and PostgreSQL.

    /work/venv/bin/python bench/consent.py [--people 3000] [--repeat 5]

PostgreSQL runs too when GATEKEEPER_TEST_DATABASE_URL is set (a scratch database is made and dropped).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from consent_db import migrate  # noqa: E402
from consent_db.consent import consent_in_force  # noqa: E402
from consent_db.db import make_engine, make_session_factory  # noqa: E402
from consent_db.models import Channel, ConsentDecision, Guardian, GuardianLink, Person, Setting  # noqa: E402
from consent_db.verdicts import FACE_MATCHING  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
CHANNELS = 4


def populate(engine, people: int, seed: int = 7) -> list[int]:
    """A setting with `people` people (10% staff), two PR guardians per child, ~3 decisions per purpose."""
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(insert(Setting), [{"id": 1, "name": "Bench", "consent_ends_on_leaving": True, "created_at": T0}])
        conn.execute(insert(Channel), [
            {"id": c, "setting_id": 1, "slug": f"ch{c}", "name": f"Channel {c}", "description": "d", "created_at": T0}
            for c in range(1, CHANNELS + 1)])
        rows, guardians, links, decisions = [], [], [], []
        for pid in range(1, people + 1):
            staff = pid % 10 == 0
            leaving = date(2025, 6, 1) if rng.random() < 0.05 else None
            rows.append({"id": pid, "setting_id": 1, "kind": "staff" if staff else "child", "first_name": "P",
                         "surname": str(pid), "leaving_date": leaving, "created_at": T0})
            voices = [None]
            if not staff:
                voices = [2 * pid, 2 * pid + 1]
                for gid in voices:
                    guardians.append({"id": gid, "setting_id": 1, "name": "G", "email": f"g{gid}@x.org", "created_at": T0})
                    links.append({"guardian_id": gid, "child_id": pid, "parental_responsibility": True, "created_at": T0})
            for purpose in list(range(1, CHANNELS + 1)) + [FACE_MATCHING]:
                at = T0
                for _ in range(rng.randint(0, 5)):
                    at += timedelta(days=rng.randint(1, 60))
                    gid = rng.choice(voices)
                    decisions.append({
                        "person_id": pid, "channel_id": None if purpose == FACE_MATCHING else purpose,
                        "face_matching": purpose == FACE_MATCHING,
                        "decision": "grant" if rng.random() < 0.75 else "refuse",
                        "given_by": "self" if staff else "guardian", "guardian_id": gid, "method": "portal",
                        "recorded_at": at, "expires_at": at + timedelta(days=365) if rng.random() < 0.3 else None,
                    })
        conn.execute(insert(Person), rows)
        conn.execute(insert(Guardian), guardians)
        conn.execute(insert(GuardianLink), links)
        for start in range(0, len(decisions), 5000):
            conn.execute(insert(ConsentDecision), decisions[start:start + 5000])
    print(f"  {people} people, {len(guardians)} guardians, {len(decisions)} decisions")
    return [r["id"] for r in rows]


def measure(engine, ids: list[int], repeat: int) -> None:
    factory = make_session_factory(engine)
    at = T0 + timedelta(days=200)
    for purpose, label in ((1, "channel"), (FACE_MATCHING, "face matching")):
        times, allowed = [], 0
        for _ in range(repeat):
            with factory() as session:
                started = time.perf_counter()
                verdicts = consent_in_force(session, ids, purpose, at)
                times.append(time.perf_counter() - started)
            allowed = sum(v.allowed for v in verdicts.values())
        print(f"  {label:<14} {len(ids)} people: median {statistics.median(times) * 1000:7.1f} ms, "
              f"best {min(times) * 1000:7.1f} ms ({allowed} allowed)")


def run(url: str, people: int, repeat: int) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        ids = populate(engine, people)
        measure(engine, ids, repeat)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite (file, WAL)")
        run(f"sqlite:///{Path(folder) / 'bench.db'}", args.people, args.repeat)
    admin_url = os.environ.get("GATEKEEPER_TEST_DATABASE_URL")
    if not admin_url:
        print("PostgreSQL: skipped (set GATEKEEPER_TEST_DATABASE_URL)")
        return
    name = f"gk_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        print("PostgreSQL")
        run(make_url(admin_url).set(database=name).render_as_string(hide_password=False), args.people, args.repeat)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
