"""What follows a recorded consent decision: a takedown and re-evaluation job for that person."""
from __future__ import annotations

from flask import Flask

from consent_db.consent import ConsentChange
from gatekeeper.gate.takedown import CONSENT_CHANGED_JOB


def after_consent_change(app: Flask, change: ConsentChange) -> None:
    """Queue the person's sweep; call after the decision's transaction has committed."""
    from gatekeeper.jobs.runner import jobs_of

    # Grants matter too: a held item may now be ready.
    jobs_of(app).enqueue(CONSENT_CHANGED_JOB, person_id=change.person_id)
