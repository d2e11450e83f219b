"""Time in UTC: every moment stored or compared by consent_db is an aware UTC datetime; and the en-GB words
and figures people read."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


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


# What people read is in the setting's own clock and in British order, whatever the server's locale.
LOCAL_ZONE = ZoneInfo("Europe/London")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def local_day(day: date) -> tuple[datetime, datetime]:
    """The UTC moments a day on the setting's clock starts and ends (end excluded); 23 or 25 hours at a
    clock change."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_ZONE)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_ZONE)
    return utc(start), utc(end)


def local(moment: datetime) -> datetime:
    """A stored moment (UTC; naive counts as UTC) on the clock of the setting, Europe/London."""
    return utc(moment).astimezone(LOCAL_ZONE)


def _as_day(value: date | datetime) -> date:
    return local(value).date() if isinstance(value, datetime) else value


def long_date(value: date | datetime | None) -> str:
    """A day in words, en-GB: "14 March 2022" (a moment counts on the London clock); empty for None."""
    if value is None:
        return ""
    day = _as_day(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(value: date | datetime | None) -> str:
    """A day in figures, en-GB: "14/03/2022"; empty for None."""
    if value is None:
        return ""
    return _as_day(value).strftime("%d/%m/%Y")


def date_time(value: datetime | None) -> str:
    """A moment in figures on the London clock, en-GB: "14/03/2022 09:30"; empty for None."""
    if value is None:
        return ""
    return local(value).strftime("%d/%m/%Y %H:%M")


def long_date_time(value: datetime | None) -> str:
    """A moment in words on the London clock: "14 March 2022 at 09:30"; empty for None."""
    if value is None:
        return ""
    return f"{long_date(value)} at {local(value).strftime('%H:%M')}"
