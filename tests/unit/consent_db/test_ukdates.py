"""UK dates: day first with slashes or dashes, or ISO; a two-digit year or a month-first date is refused."""
from __future__ import annotations

from datetime import date

import pytest

from consent_db.records import InvalidRecord
from consent_db.timeutil import short_date
from consent_db.ukdates import parse_uk_date


@pytest.mark.parametrize("text", ["14/03/2022", "14-03-2022", "2022-03-14", " 14/3/2022 ", "14.03.2022"])
def test_the_ways_people_in_the_uk_write_a_date_are_read_day_first(text):
    assert parse_uk_date(text, "date of birth") == date(2022, 3, 14)


def test_a_small_day_is_still_read_day_first():
    assert parse_uk_date("03/04/2022") == date(2022, 4, 3)


@pytest.mark.parametrize("text, words", [
    ("14/03/22", "ambiguous: write the year in full"),
    ("03/14/2022", "looks like month first"),
    ("31/02/2022", "is not a real date"),
    ("2022-02-30", "is not a real date"),
    ("14 March 2022", "is not a date: write it as day/month/year"),
    ("14/03-2022", "is not a date"),
    ("yesterday", "is not a date"),
])
def test_an_ambiguous_or_impossible_date_is_refused_with_how_to_write_it(text, words):
    with pytest.raises(InvalidRecord) as caught:
        parse_uk_date(text, "date of birth")
    assert str(caught.value).startswith(f"date of birth {text.strip()!r}") and words in str(caught.value)


def test_blank_means_no_date_and_a_date_passes_through():
    assert parse_uk_date("  ") is None and parse_uk_date(None) is None
    assert parse_uk_date(date(2020, 1, 2)) == date(2020, 1, 2)


def test_dates_are_shown_in_en_gb():
    assert short_date(date(2022, 3, 4)) == "04/03/2022" and short_date(None) == ""
