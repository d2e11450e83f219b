"""Dates as people in the UK type them: 14/03/2022, 14-03-2022 or 2022-03-14; anything else is refused.

Day first is the UK's order. A two-digit year, or a "month" over 12 that would be a day in the
American order, is refused rather than guessed: a wrong date of birth matches the wrong child.
"""
from __future__ import annotations

import re
from datetime import date

from consent_db.records import InvalidRecord

ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DAY_FIRST = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})$")
EXAMPLE = "14/03/2022"


def parse_uk_date(value: str | date | None, what: str = "date") -> date | None:
    """A date from UK or ISO text (blank means none); raises InvalidRecord saying how to write it."""
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    iso = ISO.match(text)
    if iso:
        return _make(int(iso[1]), int(iso[2]), int(iso[3]), text, what)
    uk = DAY_FIRST.match(text)
    if not uk:
        raise InvalidRecord(f"{what} {text!r} is not a date: write it as day/month/year, e.g. {EXAMPLE}")
    day, month, year = int(uk[1]), int(uk[3]), uk[4]
    if len(year) == 2:
        raise InvalidRecord(f"{what} {text!r} is ambiguous: write the year in full, e.g. {EXAMPLE}")
    if month > 12 and day <= 12:
        raise InvalidRecord(f"{what} {text!r} looks like month first: write the day first, e.g. {EXAMPLE}")
    return _make(int(year), month, day, text, what)


def _make(year: int, month: int, day: int, text: str, what: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidRecord(f"{what} {text!r} is not a real date") from None
