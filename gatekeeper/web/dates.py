"""Dates and times in the pages, en-GB on the London clock, as Jinja filters (one helper for every page)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from flask import Flask

from consent_db.timeutil import date_time, long_date, long_date_time, short_date


def _reads_iso(show: Callable) -> Callable:
    """A filter that also takes the ISO text stored in JSON (audit entries, exports)."""
    def shown(value: date | datetime | str | None) -> str:
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if value else None
        return show(value)
    return shown


FILTERS = {name: _reads_iso(show) for name, show in (
    ("long_date", long_date), ("short_date", short_date), ("date_time", date_time), ("long_date_time", long_date_time))}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
