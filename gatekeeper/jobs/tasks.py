"""Every background job by name: what the gate runs after an upload, an approval or a recorded change."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from gatekeeper.app.context import gate_context
from gatekeeper.app.drain import drain
from gatekeeper.app.notifications import send_daily_digests
from gatekeeper.app.uploads import remove_abandoned as remove_abandoned_uploads
from gatekeeper.gate.errors import NotCleared, SentInIssues
from gatekeeper.gate.ingest import analyse_item as run_analysis
from gatekeeper.gate.ingest import analysis_gave_up as hold_item
from gatekeeper.gate.publishing import complete_stale_intents
from gatekeeper.gate.publishing import publish_item as run_publish
from gatekeeper.gate.retention import purge
from gatekeeper.gate.takedown import sweep
from gatekeeper.job_names import JobName
from gatekeeper.jobs.recovery import Recovery, recover
from gatekeeper.jobs.runner import TaskSpec, jobs_of

log = logging.getLogger(__name__)


def analyse_item(app: Flask, *, public_id: str) -> None:
    run_analysis(gate_context(app), public_id)


def analysis_gave_up(app: Flask, error: str, *, public_id: str) -> None:
    hold_item(gate_context(app), public_id, error)


def publish_item(app: Flask, *, public_id: str, channel_id: int) -> None:
    try:
        run_publish(gate_context(app), public_id, channel_id)
    except NotCleared:
        # Consent changed between approval and publishing: holding is the right outcome, not a retry.
        return
    except SentInIssues:
        # A newsletter's items go out with the issue the Manager sends; this job has nothing to do.
        return


def drain_outbox(app: Flask) -> None:
    """Carry out recorded changes (takedowns, template purges); failures stay on their rows and retry."""
    drain(gate_context(app))


def consent_changed(app: Flask, *, person_id: int) -> None:
    """A job queued by a version before the outbox: the person's sweep, as it was."""
    sweep(gate_context(app), person_id=person_id)


def safety_sweep_due(minute_number: int, every_minutes: int) -> bool:
    """Whether this minute (minutes since the epoch) is one of the full sweep's minutes."""
    return minute_number % max(int(every_minutes), 1) == 0


def recover_after_crashes(app: Flask) -> Recovery:
    """Remove what killed processes left in the work folder and uploads abandoned for
    UPLOAD_ABANDONED_HOURS, and queue analyses no job will finish."""
    context = gate_context(app)
    found = recover(jobs_of(app), context.sessions, Path(app.config["QUARANTINE_DIR"]) / ".work")
    found.removed.extend(remove_abandoned_uploads(context))
    return found


def minute_sweep(app: Flask) -> None:
    """Drain what the outbox holds (including expiries and leaving dates now due), finish crashed
    publishes, purge by retention, and find analyses no job will finish; the full re-check of every
    publication only every SAFETY_SWEEP_MINUTES."""
    context = gate_context(app)
    steps = [drain, complete_stale_intents]
    if safety_sweep_due(int(context.clock().timestamp() // 60), app.config["SAFETY_SWEEP_MINUTES"]):
        steps.append(sweep)
    steps += [purge, send_daily_digests]
    failure: Exception | None = None
    try:
        for step in steps:
            # Each step runs whatever the one before met: a channel that is down (a stale intent on it,
            # a takedown there) must not stop the full re-check, retention or the digests.
            try:
                step(context)
            except Exception as exc:  # noqa: BLE001 - logged here, the first is raised once all ran
                log.warning("the minute sweep's %s failed: %s: %s", step.__name__, exc.__class__.__name__, exc)
                failure = failure or exc
    finally:
        # Even while a channel is down and its takedowns fail, lost analyses are still found.
        recover_after_crashes(app)
    if failure is not None:
        raise failure


TASKS: dict[str, TaskSpec] = {
    # Publishing and draining need no give-up hook: the minute sweep finishes what they left.
    JobName.ANALYSE_ITEM: TaskSpec(analyse_item, retries=3, retry_delay=10, on_give_up=analysis_gave_up),
    JobName.PUBLISH_ITEM: TaskSpec(publish_item, retries=8, retry_delay=5),
    # The outbox rows carry their own retries; a failed drain job needs none.
    JobName.DRAIN_OUTBOX: TaskSpec(drain_outbox, retries=0),
    JobName.CONSENT_CHANGED: TaskSpec(consent_changed, retries=10, retry_delay=5),
    JobName.MINUTE_SWEEP: TaskSpec(minute_sweep, retries=0, every_minute=True),
}
