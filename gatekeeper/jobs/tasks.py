"""Every background job by name; the gate's jobs register here as they are built."""
from __future__ import annotations

from gatekeeper.jobs.runner import TaskSpec

TASKS: dict[str, TaskSpec] = {}
