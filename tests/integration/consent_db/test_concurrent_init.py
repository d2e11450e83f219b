"""Two `gatekeeper init`s at once on PostgreSQL make one setting and one Manager, and never fork the audit chain."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from consent_db import accounts, audit, migrate, records
from consent_db.db import make_engine, make_session_factory
from consent_db.models import Account, Setting


def init_steps(session, email: str) -> str | None:
    """What `gatekeeper init` does in its one transaction."""
    setting = records.ensure_default_setting(session, name="Acorns")
    return accounts.create_first_manager(session, email=email, setting_id=setting.id)


def wait_until_blocked(admin_url: str, pid: int, seconds: float = 20) -> None:
    """Return once the backend pid waits on a lock held by another transaction."""
    admin = create_engine(admin_url)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with admin.connect() as conn:
                waiting = conn.scalar(text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                                      {"pid": pid})
            if waiting == "Lock":
                return
            time.sleep(0.02)
        pytest.fail("the second init never waited for the first one's lock")
    finally:
        admin.dispose()


@pytest.fixture
def migrated_postgres(postgres_url):
    engine = make_engine(postgres_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("setting_exists", [False, True], ids=["fresh database", "setting already made"])
def test_a_second_init_waits_for_the_first_and_makes_no_second_setting_or_manager(
        migrated_postgres, postgres_url, setting_exists):
    factory = make_session_factory(migrated_postgres)
    if setting_exists:
        with factory.begin() as session:
            records.ensure_default_setting(session, name="Acorns")
    passwords: dict[str, str | None] = {}
    second_pid: list[int] = []
    second_started = threading.Event()
    failures: list[BaseException] = []

    def second_init():
        try:
            with factory.begin() as session:
                second_pid.append(session.scalar(text("SELECT pg_backend_pid()")))
                second_started.set()
                passwords["second"] = init_steps(session, "deputy@example.org")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
            second_started.set()

    # The first init does all its work and keeps its transaction open while the second one runs
    # into it; only once the second is seen waiting on a lock does the first commit.
    with factory.begin() as first:
        passwords["first"] = init_steps(first, "manager@example.org")
        thread = threading.Thread(target=second_init)
        thread.start()
        assert second_started.wait(20)
        assert not failures, failures
        wait_until_blocked(postgres_url, second_pid[0])
    thread.join(30)

    assert not failures, failures
    assert passwords["first"] and passwords["second"] is None
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Setting)) == 1
        assert session.scalars(select(Account.email)).all() == ["manager@example.org"]
        assert audit.verify_chain(session).ok
