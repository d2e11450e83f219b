"""Every job at least once: find analyses that no live job will finish and queue them again, and
remove the plaintext that killed processes left in the work folder.

Runs at start-up (serve, worker) and in the minute sweep. An item is "analysing" until its
analysis job commits ready or held; that job is either waiting in the queue (pending, or
scheduled for a retry), or running under a lease (leases.py). An analysing item with neither:
- had a lease that lapsed, or whose process on this machine is gone: the job died while running,
  so it is queued again at once;
- had no lease: either the job was lost (a queue wiped, a worker killed between taking the job
  and taking its lease) or the upload committed a moment ago and is about to queue its job. Such
  an item is only noted the first time; still without a job GRACE_S later, it is queued again.
Analysis does nothing unless the item is still analysing, so a rare second run is harmless.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from huey.constants import EmptyData
from sqlalchemy import select

from consent_db.models import ItemState, MediaItem
from gatekeeper.jobs.leases import lease_key
from gatekeeper.jobs.runner import Jobs
from gatekeeper.storage.workdirs import SAFE_AGE_S, clean_work_root

log = logging.getLogger(__name__)

ANALYSE_JOB = "analyse_item"
GRACE_S = 45.0
SUSPECTS_KEY = "gatekeeper.recovery:analysing-without-a-job"


@dataclass
class Recovery:
    """What one recovery pass did."""

    requeued: list[str] = field(default_factory=list)  # item ids whose analysis was queued again
    noted: list[str] = field(default_factory=list)  # analysing without a job: queued next time if still so
    removed: list[str] = field(default_factory=list)  # work folder entries removed


def analysing_items(sessions) -> list[str]:
    """The public ids of every item waiting for its analysis."""
    with sessions() as session:
        return list(session.scalars(select(MediaItem.public_id).where(MediaItem.state == ItemState.ANALYSING)))


def requeue_lost_analyses(jobs: Jobs, analysing: Iterable[str], *, now: float | None = None,
                          result: Recovery | None = None) -> Recovery:
    """Queue the analysis of each item in analysing that no live job will finish (see the module doc)."""
    now = time.time() if now is None else now
    result = result or Recovery()
    waiting = {kwargs.get("public_id") for kwargs in jobs.waiting(ANALYSE_JOB)}
    noted_before = _take_suspects(jobs)
    still_noted: dict[str, float] = {}
    for public_id in analysing:
        if public_id in waiting:
            continue
        key = lease_key(ANALYSE_JOB, {"public_id": public_id})
        lease = jobs.leases.find(key)
        if lease is not None:
            if lease.is_alive(now):
                continue
            # Only the pass that removes the dead lease queues the job, so two sweeps queue it once.
            if jobs.huey.storage.pop_data(key) is EmptyData:
                continue
            _requeue(jobs, public_id, "its job died while running", result)
            continue
        first_seen = noted_before.get(public_id)
        if first_seen is not None and now - first_seen >= GRACE_S:
            _requeue(jobs, public_id, f"it has had no analysis job for {now - first_seen:.0f} s", result)
        else:
            still_noted[public_id] = first_seen if first_seen is not None else now
            result.noted.append(public_id)
    if still_noted:
        jobs.huey.storage.put_data(SUSPECTS_KEY, json.dumps(still_noted).encode())
    return result


def _take_suspects(jobs: Jobs) -> dict[str, float]:
    # Taken (not read) so that two passes at once do not both queue the same item.
    raw = jobs.huey.storage.pop_data(SUSPECTS_KEY)
    if raw is EmptyData or raw is None:
        return {}
    try:
        data = json.loads(bytes(raw) if not isinstance(raw, str) else raw)
        return {str(k): float(v) for k, v in data.items()}
    except (TypeError, ValueError, AttributeError):
        return {}


def _requeue(jobs: Jobs, public_id: str, why: str, result: Recovery) -> None:
    log.warning("item %s is analysing but %s: its analysis is queued again", public_id, why)
    jobs.enqueue(ANALYSE_JOB, public_id=public_id)
    result.requeued.append(public_id)


def recover(jobs: Jobs, sessions, work_root: str | Path, *, now: float | None = None,
            work_age_s: float = SAFE_AGE_S) -> Recovery:
    """One pass: remove what dead processes left in the work folder, then queue lost analyses."""
    result = Recovery(removed=[str(p) for p in clean_work_root(work_root, older_than_s=work_age_s, now=now)])
    return requeue_lost_analyses(jobs, analysing_items(sessions), now=now, result=result)
