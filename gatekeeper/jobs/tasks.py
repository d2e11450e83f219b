"""Every background job by name: what the gate runs after an upload, an approval or a consent change."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from gatekeeper.jobs.runner import TaskSpec

if TYPE_CHECKING:
    from gatekeeper.jobs.recovery import Recovery


def _ctx(app: Flask):
    from gatekeeper.gate.context import gate_context

    return gate_context(app)


def analyse_item(app: Flask, *, public_id: str) -> None:
    from gatekeeper.gate.ingest import analyse_item as run

    run(_ctx(app), public_id)


def analysis_gave_up(app: Flask, error: str, *, public_id: str) -> None:
    from gatekeeper.gate.ingest import analysis_gave_up as hold

    hold(_ctx(app), public_id, error)


def publish_item(app: Flask, *, public_id: str, channel_id: int) -> None:
    from gatekeeper.gate.errors import NotCleared
    from gatekeeper.gate.publishing import publish_item as run

    try:
        run(_ctx(app), public_id, channel_id)
    except NotCleared:
        # Consent changed between approval and publishing: holding is the right outcome, not a retry.
        return


def consent_changed(app: Flask, *, person_id: int) -> None:
    from gatekeeper.gate.takedown import sweep

    sweep(_ctx(app), person_id=person_id)


def recover_after_crashes(app: Flask) -> "Recovery":
    """Remove what killed processes left in the work folder and queue analyses no job will finish."""
    from pathlib import Path

    from gatekeeper.jobs.recovery import recover
    from gatekeeper.jobs.runner import jobs_of

    context = _ctx(app)
    return recover(jobs_of(app), context.sessions, Path(app.config["QUARANTINE_DIR"]) / ".work")


def minute_sweep(app: Flask) -> None:
    """Expiry and leaving dates pass without anyone acting; crashed publishes and analyses need finishing."""
    from gatekeeper.gate.publishing import complete_stale_intents
    from gatekeeper.gate.retention import purge
    from gatekeeper.gate.takedown import sweep

    context = _ctx(app)
    try:
        complete_stale_intents(context)
        sweep(context)
        purge(context)
    finally:
        # Even while a channel is down and its takedowns fail, lost analyses are still found.
        recover_after_crashes(app)


TASKS: dict[str, TaskSpec] = {
    # Publishing and takedown need no give-up hook: the minute sweep finishes what they left.
    "analyse_item": TaskSpec(analyse_item, retries=3, retry_delay=10, on_give_up=analysis_gave_up),
    "publish_item": TaskSpec(publish_item, retries=8, retry_delay=5),
    "consent_changed": TaskSpec(consent_changed, retries=10, retry_delay=5),
    "minute_sweep": TaskSpec(minute_sweep, retries=0, every_minute=True),
}
