"""Every background job's name, in one place: the rooms queue jobs by these, the job module registers them."""
from __future__ import annotations

from enum import StrEnum


class JobName(StrEnum):
    ANALYSE_ITEM = "analyse_item"
    PUBLISH_ITEM = "publish_item"
    DRAIN_OUTBOX = "drain_outbox"
    MINUTE_SWEEP = "minute_sweep"
    # Queued by versions before the outbox; kept so jobs waiting in a queue at upgrade still run.
    CONSENT_CHANGED = "consent_changed"
