"""Time in UTC: every moment stored or compared by consent_db is an aware UTC datetime."""
from __future__ import annotations

from datetime import date, datetime, time, timezone


def now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(timezone.utc)


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def start_of(day: date | datetime) -> datetime:
    """Midnight UTC at the start of day; a datetime is returned as UTC unchanged."""
    if isinstance(day, datetime):
        return utc(day)
    return datetime.combine(day, time.min, tzinfo=timezone.utc)
