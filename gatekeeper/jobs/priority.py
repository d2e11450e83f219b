"""Background work yields the CPU to people waiting: a worker lowers its own priority at start."""
from __future__ import annotations

import os
from pathlib import Path

AUTOGROUP = Path("/proc/self/autogroup")
AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")


def autogroups_enabled() -> bool:
    try:
        return AUTOGROUP_SWITCH.read_text().strip() == "1"
    except OSError:
        return False


def lower_priority(niceness: int) -> str:
    """Lower this process's CPU priority by niceness; returns one line saying how, for the log.

    With Linux autogroup scheduling a nice value only ranks a process against its own session,
    so a worker in a session of its own (a service, or started with setsid) lowers the session's
    autogroup too; without that, a web server in another session shares the CPU equally with analysis.
    """
    if niceness == 0:
        return "CPU priority unchanged (--nice 0)"
    os.nice(niceness)
    how = f"CPU priority lowered by {niceness}"
    if not autogroups_enabled():
        return how
    if os.getsid(0) != os.getpid():
        return how + (" within its session only (the kernel groups CPU time by session): run the worker as "
                      "its own service for the web server to come first")
    try:
        AUTOGROUP.write_text(str(niceness))
    except OSError as exc:
        return how + f", but its session's autogroup could not be lowered ({exc.strerror})"
    return how + ", for its whole session too (autogroup)"
