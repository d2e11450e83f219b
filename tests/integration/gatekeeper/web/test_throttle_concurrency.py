"""The throttle under parallel attempts, on SQLite, PostgreSQL and Redis: one atomic step per attempt,
so no more attempts get through in a window than the rule allows, and exactly one of them sets the lock."""
from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest

from consent_db import migrate
from consent_db.db import make_engine, make_session_factory
from consent_db.timeutil import now
from gatekeeper.web.services import throttle

THREADS = 32
REDIS_ENV = "GATEKEEPER_TEST_REDIS_URL"


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def store(request, tmp_path):
    """A function opening one unit of work on the store: yields the Counters to count in."""
    if request.param == "redis":
        url = os.environ.get(REDIS_ENV)
        if not url:
            pytest.skip(f"{REDIS_ENV} is not set: Redis tests skipped")
        from gatekeeper.web.services import throttle_redis
        counters = throttle_redis.counters(url, f"gk-test:{uuid.uuid4().hex}:")

        @contextmanager
        def in_redis():
            yield counters
        yield in_redis
        counters.client.delete(*counters.client.keys(counters.prefix + "*") or ["-"])
        return
    url = f"sqlite:///{tmp_path / 'test.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)

    @contextmanager
    def in_database():
        with sessions.begin() as db:
            yield throttle.DatabaseCounters(db)
    yield in_database
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


def moment():
    # Whole milliseconds, the finest Redis keeps, so lock ends compare exactly on every store.
    at = now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def test_parallel_attempts_get_exactly_the_limit_through_and_lock_once(store):
    rule = throttle.Rule(limit=5, window=timedelta(minutes=15))
    key, at = "pair:anne@family.test|203.0.113.5", moment()

    def attempt():
        with store() as counters:
            return counters.count(key, rule, at=at)

    results = in_parallel(attempt)
    assert sum(not r.locked for r in results) == 5
    assert sum(r.newly_locked for r in results) == 1
    with store() as counters:
        assert counters.locked_until(key, at=at) == at + rule.window
        assert counters.locked_until(key, at=at + rule.window) is None


def test_parallel_attempts_on_different_pairs_do_not_count_against_each_other(store):
    rule = throttle.Rule(limit=1, window=timedelta(minutes=15))
    at = moment()
    counter = iter(range(THREADS))
    lock = threading.Lock()

    def attempt():
        with lock:
            n = next(counter)
        with store() as counters:
            return counters.count(throttle.pair_key("manager@acorns.test", f"198.51.100.{n}"), rule, at=at)

    assert not any(r.locked for r in in_parallel(attempt))


def test_a_second_round_of_parallel_attempts_after_a_lock_doubles_it(store):
    rule = throttle.Rule(limit=3, window=timedelta(minutes=10))
    key, at = "totp:7", moment()

    def attempt(when):
        def run():
            with store() as counters:
                return counters.count(key, rule, at=when)
        return run

    first = in_parallel(attempt(at), 8)
    until = max(r.locked_until for r in first if r.locked)
    second = in_parallel(attempt(until), 8)
    assert sum(not r.locked for r in second) == 3
    assert max(r.locked_until for r in second if r.locked) - until == timedelta(minutes=20)


def test_a_window_that_has_passed_starts_counting_again_and_clear_forgets(store):
    rule = throttle.Rule(limit=2, window=timedelta(minutes=15))
    key, at = "pair:a@b.test|10.0.0.1", moment()
    with store() as counters:
        assert [counters.count(key, rule, at=at).attempts for _ in range(2)] == [1, 2]
        assert counters.count(key, rule, at=at + timedelta(minutes=16)).attempts == 1
        counters.count(key, rule, at=at + timedelta(minutes=16))
        locked = counters.count(key, rule, at=at + timedelta(minutes=17))
        assert locked.newly_locked and locked.locked_until == at + timedelta(minutes=32)
        # While locked nothing more is counted and the lock does not move.
        again = counters.count(key, rule, at=at + timedelta(minutes=20))
        assert again.locked and not again.newly_locked and again.locked_until == locked.locked_until
        counters.clear(key)
        assert counters.locked_until(key, at=at + timedelta(minutes=20)) is None
        assert counters.count(key, rule, at=at + timedelta(minutes=20)).attempts == 1


def test_locks_stop_growing_a_day_after_the_last_one_ended(store):
    rule = throttle.Rule(limit=1, window=timedelta(minutes=10))
    key, at = "totp:9", moment()
    with store() as counters:
        counters.count(key, rule, at=at)
        first = counters.count(key, rule, at=at).locked_until
        counters.count(key, rule, at=first)
        second = counters.count(key, rule, at=first).locked_until
        assert second - first == timedelta(minutes=20)
        later = second + throttle.FORGET_LOCKS_AFTER
        counters.count(key, rule, at=later)
        assert counters.count(key, rule, at=later).locked_until - later == timedelta(minutes=10)
