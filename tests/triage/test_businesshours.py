"""Due times in business hours: weekends, Japanese public holidays, configured hours."""

from __future__ import annotations

import datetime as dt

import pytest

from voc.triage.businesshours import (
    BusinessCalendar,
    add_business_hours,
    business_hours_between,
    calendar_from_settings,
)
from voc.triage.models import TriageSettings

from .conftest import jst


def test_the_dates_used_are_what_the_tests_assume():
    assert jst(2026, 11, 20).isoweekday() == 5  # Friday
    assert jst(2026, 11, 23).isoweekday() == 1  # Monday, 勤労感謝の日
    assert not BusinessCalendar().is_business_day(dt.date(2026, 11, 23))
    assert BusinessCalendar().is_business_day(dt.date(2026, 11, 24))


def test_friday_evening_crosses_the_weekend_and_a_public_holiday():
    # 1 h on Friday (17–18), Saturday, Sunday, Monday 23 Nov (勤労感謝の日) closed, 2 h on Tuesday.
    assert add_business_hours(jst(2026, 11, 20, 17, 0), 3) == jst(2026, 11, 24, 11, 0)


def test_24_business_hours_from_friday_afternoon():
    # Fri 2 h + Tue 9 h + Wed 9 h = 20 h; 4 more on Thursday 26 Nov.
    assert add_business_hours(jst(2026, 11, 20, 16, 0), 24) == jst(2026, 11, 26, 13, 0)


def test_golden_week_with_a_substitute_holiday():
    # 2026: 3 May (Sun) → 6 May (Wed) is 振替休日; 4, 5 May are holidays too.
    assert add_business_hours(jst(2026, 5, 1, 17, 0), 2) == jst(2026, 5, 7, 10, 0)


def test_arrival_outside_hours_starts_the_clock_at_the_next_opening():
    assert add_business_hours(jst(2026, 11, 21, 10, 0), 1) == jst(2026, 11, 24, 10, 0)  # Sat
    assert add_business_hours(jst(2026, 11, 19, 20, 0), 1) == jst(2026, 11, 20, 10, 0)  # Thu night
    assert add_business_hours(jst(2026, 11, 19, 7, 0), 9) == jst(2026, 11, 19, 18, 0)


def test_utc_input_gives_tokyo_output():
    start = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)  # 17:00 JST
    due = add_business_hours(start, 3)
    assert due == jst(2026, 11, 24, 11, 0)
    with pytest.raises(ValueError):
        add_business_hours(dt.datetime(2026, 11, 20, 8, 0), 1)


def test_business_hours_between_counts_only_open_time():
    assert business_hours_between(jst(2026, 11, 20, 17, 0), jst(2026, 11, 24, 11, 0)) == 3
    assert business_hours_between(jst(2026, 11, 24, 11, 0), jst(2026, 11, 20, 17, 0)) == 0


@pytest.mark.django_db
def test_configured_hours_and_closed_dates_apply():
    row = TriageSettings.objects.get(id=1)  # created by the migration, 9:00–18:00 Mon–Fri
    assert calendar_from_settings(row) == BusinessCalendar()
    row.opens_at, row.closes_at = dt.time(10, 0), dt.time(19, 0)
    row.workdays = [1, 2, 3, 4, 5, 6]
    row.closed_dates = ["2026-11-24", "not a date"]
    row.save()
    calendar = calendar_from_settings(row)
    # Friday 18:00 → 1 h left on Friday, Saturday now open 10–19 (9 h), Monday holiday, Tuesday
    # closed by configuration, Wednesday from 10:00.
    assert add_business_hours(jst(2026, 11, 20, 18, 0), 12, calendar=calendar) == jst(
        2026, 11, 25, 12, 0
    )
