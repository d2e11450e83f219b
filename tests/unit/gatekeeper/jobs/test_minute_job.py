"""The minute job drains the outbox every minute; the full re-check of every publication is only a safety
net, every SAFETY_SWEEP_MINUTES."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gatekeeper.jobs import tasks


@pytest.mark.parametrize("minute, every, due", [(0, 60, True), (59, 60, False), (120, 60, True), (7, 1, True),
                                                (7, 0, True), (15, 15, True), (16, 15, False)])
def test_the_full_sweep_falls_due_once_every_configured_minutes(minute, every, due):
    assert tasks.safety_sweep_due(minute, every) is due


@pytest.mark.parametrize("at, full_sweeps", [(datetime(2026, 1, 5, 10, 0, tzinfo=timezone.utc), 1),
                                             (datetime(2026, 1, 5, 10, 1, tzinfo=timezone.utc), 0)])
def test_each_minute_drains_and_only_the_due_minute_sweeps_everything(app, monkeypatch, at, full_sweeps):
    from gatekeeper.app.context import gate_context

    calls = []
    monkeypatch.setattr(tasks, "drain", lambda ctx: calls.append("drain"))
    monkeypatch.setattr(tasks, "sweep", lambda ctx, **kw: calls.append(("sweep", kw)))
    monkeypatch.setattr(tasks, "complete_stale_intents", lambda ctx: None)
    monkeypatch.setattr(tasks, "purge", lambda ctx: None)
    gate_context(app).clock = lambda: at
    app.config["SAFETY_SWEEP_MINUTES"] = 60
    tasks.minute_sweep(app)
    assert calls[0] == "drain"
    assert calls.count(("sweep", {})) == full_sweeps
