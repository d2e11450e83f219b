"""How to give each app-level test a fresh PostgreSQL database: the three ways tests/conftest.py could.

    GATEKEEPER_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        /work/venv/bin/python bench/test_databases.py [--repeat 20]

Prints milliseconds per test for: an empty database migrated each time; a copy of a database
migrated once; one database emptied with TRUNCATE (what the `app_database_url` fixture does).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from consent_db import migrate  # noqa: E402
from consent_db.models import Base  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    admin_url = os.environ.get("GATEKEEPER_TEST_DATABASE_URL")
    if not admin_url:
        print("set GATEKEEPER_TEST_DATABASE_URL to a PostgreSQL admin URL", file=sys.stderr)
        return 2
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def url(name: str) -> str:
        return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def create(name: str, template: str | None = None) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f" TEMPLATE \"{template}\" STRATEGY FILE_COPY" if template else "")))

    def drop(name: str) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def first_query(database_url: str) -> None:
        engine = create_engine(database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT last_event_id FROM audit_chain_head"))
        engine.dispose()

    def timed(step) -> float:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            step()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    def migrate_each_time() -> None:
        name = f"gk_bench_{uuid.uuid4().hex[:8]}"
        create(name)
        engine = create_engine(url(name))
        migrate.upgrade(engine)
        engine.dispose()
        first_query(url(name))
        drop(name)

    template = f"gk_bench_tpl_{uuid.uuid4().hex[:8]}"
    create(template)
    engine = create_engine(url(template))
    migrate.upgrade(engine)
    engine.dispose()
    scratch = f"gk_bench_{uuid.uuid4().hex[:8]}"
    create(scratch, template)
    scratch_engine = create_engine(url(scratch))
    # The audit head row is seed data of the migration: a truncating fixture must keep and reset it.
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "audit_chain_head")

    def copy_template() -> None:
        name = f"gk_bench_{uuid.uuid4().hex[:8]}"
        create(name, template)
        first_query(url(name))
        drop(name)

    def truncate() -> None:
        with scratch_engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        first_query(url(scratch))

    try:
        print(f"median of {args.repeat}, ms per test")
        print(f"  create empty + migrate + drop : {timed(migrate_each_time):6.0f}")
        print(f"  copy migrated template + drop : {timed(copy_template):6.0f}")
        print(f"  truncate every table          : {timed(truncate):6.0f}   (used)")
    finally:
        scratch_engine.dispose()
        drop(scratch)
        drop(template)
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
