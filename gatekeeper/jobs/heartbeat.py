"""Worker heartbeats: `gatekeeper worker` says it is alive in its queue's storage, /readyz reads it."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Mapping
from urllib.parse import urlsplit

from huey import Huey

log = logging.getLogger(__name__)
# Kept in the queue's own storage, so each instance (queue) has its own heartbeat.
HEARTBEAT_KEY = "gatekeeper:worker-heartbeat"
# Queues that only a separate `gatekeeper worker` consumes; SQLite is consumed inside `serve`, memory at once.
WORKER_SCHEMES = frozenset({"redis", "rediss"})


def needs_worker(config: Mapping) -> bool:
    """Whether jobs on this JOBS_URL wait for a `gatekeeper worker` process."""
    return urlsplit(str(config["JOBS_URL"])).scheme in WORKER_SCHEMES


def beat(huey: Huey, clock: Callable[[], float] = time.time) -> None:
    """Record that a worker on this queue is alive now."""
    huey.put(HEARTBEAT_KEY, float(clock()))


def last_beat(huey: Huey) -> float | None:
    """When a worker last said it was alive (seconds since the epoch), or None if none ever did."""
    value = huey.get(HEARTBEAT_KEY, peek=True)
    return float(value) if isinstance(value, (int, float)) else None


def seconds_since_beat(huey: Huey, clock: Callable[[], float] = time.time) -> float | None:
    """How long ago a worker last said it was alive; None if never."""
    at = last_beat(huey)
    return None if at is None else max(0.0, clock() - at)


class Heartbeat:
    """A daemon thread that beats every interval seconds until stop()."""

    def __init__(self, huey: Huey, interval: float):
        self._huey = huey
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                beat(self._huey)
            except Exception:  # noqa: BLE001 - a Redis hiccup must not stop the worker; readyz shows it
                log.warning("could not write the worker heartbeat", exc_info=True)
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
