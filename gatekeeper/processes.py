"""Who this process is, and whether another process on this machine still runs.

Leases on running jobs and private work folders name their owner this way, so that what a
crashed process left behind is recognised at once on the same machine (and by age elsewhere).
"""
from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass

# One per process life: a restarted container's pid 1 is not the pid 1 that crashed.
PROCESS_TOKEN = secrets.token_hex(8)
HOST = socket.gethostname()


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    token: str

    def is_gone(self) -> bool:
        """True only when the owner is known to have ended (same machine); unknown means False."""
        if self.host != HOST:
            return False
        if self.pid == os.getpid():
            return self.token != PROCESS_TOKEN
        return not process_exists(self.pid)


def this_process() -> Owner:
    return Owner(HOST, os.getpid(), PROCESS_TOKEN)


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by another user
    return True
