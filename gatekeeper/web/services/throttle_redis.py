"""Throttle counters in Redis, for deployments whose processes share one Redis (THROTTLE_URL).

Each count is one Lua script, which Redis runs without interleaving another command, so parallel
attempts from every process see one another exactly as the database's upsert makes them. Keys
expire on their own once nothing about them matters any more (a day after their last lock ends).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from consent_db.timeutil import utc
from gatekeeper.web.services.throttle import FORGET_LOCKS_AFTER, MAX_LOCK, Counted, Counters, CountersUnavailable, Rule

UNAVAILABLE = "Signing in is not possible for a moment (the attempt counter cannot be reached). Try again shortly."

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# KEYS[1]: the key. ARGV: now, window, limit, forget-after, longest lock (milliseconds; limit a count).
# Returns {attempts, locked_until or -1, newly_locked 0/1} with the same rules as DatabaseCounters.count.
_COUNT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local forget, longest = tonumber(ARGV[4]), tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'failures', 'window_started', 'locked_until', 'lockouts')
local failures, started, locked, lockouts = tonumber(h[1]), tonumber(h[2]), tonumber(h[3]), tonumber(h[4]) or 0
if locked and locked > now then
    return {failures or 0, locked, 0}
end
if locked and locked <= now - forget then
    lockouts = 0
end
if not failures then
    failures, started = 1, now
elseif started <= now - window then
    failures, started = 1, now
else
    failures = failures + 1
end
if failures <= limit then
    redis.call('HSET', KEYS[1], 'failures', failures, 'window_started', started, 'lockouts', lockouts)
    redis.call('PEXPIRE', KEYS[1], window + forget)
    return {failures, -1, 0}
end
local lock = window * (2 ^ math.min(lockouts, 16))
if lock > longest then lock = longest end
local untl = now + lock
redis.call('HSET', KEYS[1], 'failures', 0, 'window_started', now, 'locked_until', untl, 'lockouts', lockouts + 1)
redis.call('PEXPIRE', KEYS[1], lock + forget)
return {failures, untl, 1}
"""


# Whole milliseconds: 13 digits, which Lua's numbers (doubles, printed with 14 digits) keep exactly.
def _ms(moment: datetime) -> int:
    return (utc(moment) - _EPOCH) // timedelta(milliseconds=1)


def _moment(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def _span(delta: timedelta) -> int:
    return round(delta.total_seconds() * 1000)


class RedisCounters(Counters):
    """Counts in one Redis hash per key; independent of any database transaction."""

    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix
        self._count = client.register_script(_COUNT)

    def count(self, key: str, rule: Rule, *, at: datetime) -> Counted:
        with _reachable():
            attempts, until, newly = self._count(
                keys=[self.prefix + key],
                args=[_ms(at), _span(rule.window), rule.limit, _span(FORGET_LOCKS_AFTER), _span(MAX_LOCK)])
        locked = _moment(int(until)) if int(until) >= 0 else None
        return Counted(key, int(attempts), locked, bool(newly))

    def locked_until(self, key: str, *, at: datetime) -> datetime | None:
        with _reachable():
            raw = self.client.hget(self.prefix + key, "locked_until")
        if raw is None or int(raw) <= _ms(at):
            return None
        return _moment(int(raw))

    def clear(self, key: str) -> None:
        with _reachable():
            self.client.delete(self.prefix + key)


@contextlib.contextmanager
def _reachable():
    """Redis failures as CountersUnavailable, which the pages answer with 503."""
    import redis
    try:
        yield
    except redis.RedisError as exc:
        raise CountersUnavailable(UNAVAILABLE) from exc


@functools.lru_cache(maxsize=4)
def _client(url: str):
    import redis
    # Short timeouts: a sign-in page must answer (with an error) rather than hang on a lost Redis.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def prefix_for(secret_key: str) -> str:
    """A key prefix of this deployment's own: the same on every host (they share secrets.json), and
    different for another instance sharing the Redis, whose guesses must not lock this one's people."""
    tag = hmac.new(secret_key.encode(), b"gatekeeper throttle keys", hashlib.sha256).hexdigest()[:16]
    return f"gatekeeper:{tag}:throttle:"


def counters(url: str, prefix: str) -> RedisCounters:
    """Counters in the Redis at url (one connection pool per URL); its methods raise CountersUnavailable."""
    return RedisCounters(_client(url), prefix)
