"""Dates and times people read are en-GB, on the London clock (summer time included)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from consent_db.timeutil import date_time, long_date, long_date_time, short_date


def test_a_day_reads_in_words_and_in_british_figures():
    assert long_date(date(2022, 3, 14)) == "14 March 2022"
    assert short_date(date(2022, 3, 14)) == "14/03/2022"


def test_a_winter_moment_is_shown_on_greenwich_time():
    moment = datetime(2022, 3, 14, 9, 30, tzinfo=timezone.utc)
    assert date_time(moment) == "14/03/2022 09:30"
    assert long_date_time(moment) == "14 March 2022 at 09:30"


def test_a_summer_moment_is_shown_on_british_summer_time_and_can_change_the_day():
    late = datetime(2022, 7, 1, 23, 30, tzinfo=timezone.utc)
    assert date_time(late) == "02/07/2022 00:30"
    assert long_date(late) == "2 July 2022"


def test_a_naive_moment_counts_as_utc_and_nothing_reads_as_empty():
    assert date_time(datetime(2022, 1, 5, 8, 0)) == "05/01/2022 08:00"
    assert long_date(None) == date_time(None) == short_date(None) == ""
