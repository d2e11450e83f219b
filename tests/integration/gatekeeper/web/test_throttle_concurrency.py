"""The throttle under parallel attempts, on SQLite and PostgreSQL: one upsert per attempt, so no
more attempts get through in a window than the rule allows, and exactly one of them sets the lock."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from consent_db import migrate
from consent_db.db import make_engine, make_session_factory
from consent_db.models import SignInThrottle
from consent_db.timeutil import now
from gatekeeper.web.services import throttle

THREADS = 32


@pytest.fixture
def sessions(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def in_parallel(work, count: int = THREADS) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        barrier.wait()
        try:
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported below, never hidden
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_parallel_attempts_get_exactly_the_limit_through_and_lock_once(sessions):
    rule = throttle.Rule(limit=5, window=timedelta(minutes=15))
    at = now()

    def attempt():
        with sessions.begin() as db:
            return throttle.count(db, "pair:anne@family.test|203.0.113.5", rule, at=at)

    results = in_parallel(attempt)
    assert sum(not r.locked for r in results) == 5
    assert sum(r.newly_locked for r in results) == 1
    with sessions.begin() as db:
        row = db.get(SignInThrottle, "pair:anne@family.test|203.0.113.5")
        assert row.lockouts == 1 and row.locked_until == at + rule.window


def test_parallel_attempts_on_different_pairs_do_not_count_against_each_other(sessions):
    rule = throttle.Rule(limit=1, window=timedelta(minutes=15))
    at = now()
    counter = iter(range(THREADS))
    lock = threading.Lock()

    def attempt():
        with lock:
            n = next(counter)
        with sessions.begin() as db:
            return throttle.count(db, throttle.pair_key("manager@acorns.test", f"198.51.100.{n}"), rule, at=at)

    assert not any(r.locked for r in in_parallel(attempt))


def test_a_second_round_of_parallel_attempts_after_a_lock_doubles_it(sessions):
    rule = throttle.Rule(limit=3, window=timedelta(minutes=10))
    key, at = "totp:7", now()

    def attempt(moment):
        def run():
            with sessions.begin() as db:
                return throttle.count(db, key, rule, at=moment)
        return run

    first = in_parallel(attempt(at), 8)
    until = max(r.locked_until for r in first if r.locked)
    second = in_parallel(attempt(until), 8)
    assert sum(not r.locked for r in second) == 3
    assert max(r.locked_until for r in second if r.locked) - until == timedelta(minutes=20)
