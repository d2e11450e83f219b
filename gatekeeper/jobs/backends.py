"""Where jobs wait: a SQLite file (embedded default), Redis (workers at scale), or memory (run at once)."""
from __future__ import annotations

from abc import ABC, abstractmethod
from urllib.parse import urlsplit

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from redis import ConnectionPool

from gatekeeper.config import ConfigError

# The name of instances made before each had its own id (and of throwaway queues in tests).
QUEUE_NAME = "gatekeeper"
# Without it, a probe or a request would wait minutes on a Redis host that drops packets.
REDIS_CONNECT_TIMEOUT_S = 5


class JobsMisconfigured(ConfigError):
    """JOBS_URL names no backend, or the backend cannot be reached; the message says which."""


class JobBackend(ABC):
    """Makes the huey instance for one kind of JOBS_URL."""

    @abstractmethod
    def make_huey(self, url: str, name: str = QUEUE_NAME) -> Huey:
        """A huey for url whose queue is called name; raises JobsMisconfigured when the URL is unusable."""

    def check(self, huey: Huey) -> None:
        """Raise JobsMisconfigured when the backend cannot be used now."""
        try:
            huey.pending_count()
        except Exception as exc:  # noqa: BLE001 - any storage error means "not usable"
            raise JobsMisconfigured(f"job storage unreachable: {exc.__class__.__name__}: {exc}") from None


class SqliteBackend(JobBackend):
    def make_huey(self, url: str, name: str = QUEUE_NAME) -> Huey:
        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise JobsMisconfigured(f"JOBS_URL {url!r}: expected sqlite:///path/to/jobs.db")
        return SqliteHuey(name, filename=path)


class RedisBackend(JobBackend):
    def make_huey(self, url: str, name: str = QUEUE_NAME) -> Huey:
        try:
            pool = ConnectionPool.from_url(url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S)
        except ValueError as exc:
            # The message quotes the URL's parts, never the whole URL with its password.
            raise JobsMisconfigured(f"JOBS_URL is not a usable Redis URL: {exc}") from None
        return RedisHuey(name, connection_pool=pool)


class MemoryBackend(JobBackend):
    """Runs each job inside enqueue: for tests and one-shot command-line runs."""

    def make_huey(self, url: str, name: str = QUEUE_NAME) -> Huey:
        return MemoryHuey(name, immediate=True)


BACKENDS: dict[str, JobBackend] = {
    "sqlite": SqliteBackend(),
    "redis": RedisBackend(),
    "rediss": RedisBackend(),
    "memory": MemoryBackend(),
}


def backend_for(url: str) -> JobBackend:
    """The backend for a JOBS_URL; raises JobsMisconfigured for an unknown scheme."""
    scheme = urlsplit(url).scheme
    try:
        return BACKENDS[scheme]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise JobsMisconfigured(f"JOBS_URL: unknown scheme {scheme!r} (known: {known})") from None
