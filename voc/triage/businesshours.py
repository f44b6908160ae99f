"""Business-hours arithmetic in Japan time: weekends, public holidays (jpholiday), closed dates.

``add_business_hours(start, hours, calendar=...)`` answers "due in 24 business hours" for an item
that arrived at ``start``: only time inside opening hours on working days counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import jpholiday

TOKYO = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class BusinessCalendar:
    opens_at: dt.time = dt.time(9, 0)
    closes_at: dt.time = dt.time(18, 0)
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO weekdays
    observe_public_holidays: bool = True
    closed_dates: frozenset[dt.date] = field(default_factory=frozenset)

    def is_business_day(self, day: dt.date) -> bool:
        if day.isoweekday() not in self.workdays or day in self.closed_dates:
            return False
        return not (self.observe_public_holidays and jpholiday.is_holiday(day))

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.opens_at, tzinfo=TOKYO),
            dt.datetime.combine(day, self.closes_at, tzinfo=TOKYO),
        )


def calendar_from_settings(row: object | None) -> BusinessCalendar:
    """Build the calendar from a ``TriageSettings`` row (or the defaults when there is none)."""
    if row is None:
        return BusinessCalendar()
    closed: set[dt.date] = set()
    for value in getattr(row, "closed_dates", []) or []:
        try:
            closed.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            continue
    return BusinessCalendar(
        opens_at=row.opens_at,  # type: ignore[attr-defined]
        closes_at=row.closes_at,  # type: ignore[attr-defined]
        workdays=frozenset(int(d) for d in row.workdays or [1, 2, 3, 4, 5]),  # type: ignore[attr-defined]
        observe_public_holidays=row.observe_public_holidays,  # type: ignore[attr-defined]
        closed_dates=frozenset(closed),
    )


MAX_DAYS = 3660  # a calendar with no business day at all must not loop forever


def add_business_hours(
    start: dt.datetime, hours: float, *, calendar: BusinessCalendar | None = None
) -> dt.datetime:
    """The moment ``hours`` business hours after ``start`` (an aware datetime), in Tokyo time."""
    calendar = calendar or BusinessCalendar()
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = dt.timedelta(hours=hours)
    current = start.astimezone(TOKYO)
    day = current.date()
    for _ in range(MAX_DAYS):
        if calendar.is_business_day(day):
            opens, closes = calendar.window(day)
            begin = max(current, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
        current = dt.datetime.combine(day, dt.time(0, 0), tzinfo=TOKYO)
    raise ValueError("the business calendar has no working time")


def business_hours_between(
    start: dt.datetime, end: dt.datetime, *, calendar: BusinessCalendar | None = None
) -> float:
    """Business hours elapsed from ``start`` to ``end`` (0 when ``end`` is not later)."""
    calendar = calendar or BusinessCalendar()
    if end <= start:
        return 0.0
    total = dt.timedelta()
    day = start.astimezone(TOKYO).date()
    last = end.astimezone(TOKYO).date()
    while day <= last:
        if calendar.is_business_day(day):
            opens, closes = calendar.window(day)
            begin, finish = max(start, opens), min(end, closes)
            if finish > begin:
                total += finish - begin
        day += dt.timedelta(days=1)
    return total.total_seconds() / 3600
