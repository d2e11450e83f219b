"""Which jobs are running now, kept in the queue's own key-value store (SQLite file or Redis).

Huey forgets a job once a worker takes it, so a worker killed mid-job (kill -9, power cut, an
out-of-memory kill) would leave its item waiting for good. Each running job therefore holds a
lease: who runs it (host, process id, a token for this process's life) and until when. A thread
renews the leases of the jobs running in this process; a lease whose time passed, or whose
process on this host is gone, names a job that died and must be run again (see recovery.py).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from huey import Huey
from huey.constants import EmptyData

from gatekeeper.processes import Owner, this_process

log = logging.getLogger(__name__)

LEASE_S = 90.0  # a lease not renewed for this long belongs to a job that died
RENEW_EVERY_S = 20.0
KEY_PREFIX = "gatekeeper.running:"


def lease_key(name: str, kwargs: dict[str, Any]) -> str:
    """The key of the lease for one job: its name and its arguments."""
    return KEY_PREFIX + name + ":" + json.dumps(kwargs, sort_keys=True, default=str)


@dataclass(frozen=True)
class Lease:
    host: str
    pid: int
    token: str
    until: float

    def to_json(self) -> str:
        return json.dumps({"host": self.host, "pid": self.pid, "token": self.token, "until": self.until})

    @classmethod
    def from_json(cls, raw: Any) -> "Lease | None":
        try:
            data = json.loads(raw)
            return cls(str(data["host"]), int(data["pid"]), str(data["token"]), float(data["until"]))
        except (TypeError, ValueError, KeyError):
            return None

    def is_alive(self, now: float) -> bool:
        """Whether the job may still be running: the lease is fresh and its process is not known dead."""
        return self.until >= now and not Owner(self.host, self.pid, self.token).is_gone()


class Leases:
    """The leases of jobs running in this process, renewed by a background thread while they run."""

    def __init__(self, huey: Huey, clock: Callable[[], float] = time.time):
        self.huey = huey
        self.clock = clock
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def take(self, key: str) -> None:
        """Record that this process runs the job now; called as the job starts."""
        with self._lock:
            self._held.add(key)
            self._write(key)
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_forever, name="job-leases", daemon=True)
                self._renewer.start()

    def drop(self, key: str) -> None:
        """The job ended (done, failed, or handed back to the queue): nobody runs it now."""
        with self._lock:
            self._held.discard(key)
            self.huey.storage.delete_data(key)

    def find(self, key: str) -> Lease | None:
        """The lease on a job, if any (a running job, or one that died holding it)."""
        raw = self.huey.storage.peek_data(key)
        if raw is EmptyData or raw is None:
            return None
        return Lease.from_json(bytes(raw) if not isinstance(raw, str) else raw)

    def _write(self, key: str) -> None:
        me = this_process()
        lease = Lease(me.host, me.pid, me.token, self.clock() + LEASE_S)
        self.huey.storage.put_data(key, lease.to_json().encode())

    def _renew_forever(self) -> None:
        # Ends once no job holds a lease here; take() starts a new one when needed.
        while True:
            time.sleep(RENEW_EVERY_S)
            with self._lock:
                held = sorted(self._held)
                if not held:
                    self._renewer = None
                    return
            for key in held:
                try:
                    with self._lock:
                        if key in self._held:
                            self._write(key)
                except Exception:  # noqa: BLE001 - a queue hiccup must not stop renewing the others
                    log.warning("could not renew the lease of %s", key, exc_info=True)
