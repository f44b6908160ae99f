"""The demo's calendar: its fixed "today", the two survey waves, and the delivery fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
AS_OF = date(2026, 11, 20)  # the demo's "today": data ends here (fixed, so a seed is a data set)
HISTORY_DAYS = 730
FIXED_THEME = "delivery"
FIX_DATE = datetime(2026, 5, 1, tzinfo=TOKYO)  # new logistics centre: delivery stops hurting
BRAND = "さくらマート"
AFTER_ANSWER = timedelta(weeks=13)


@dataclass(frozen=True)
class WaveSpec:
    name: str
    slug: str
    title: str
    starts_on: date
    ends_on: date
    field_start: datetime
    field_end: datetime


WAVES = (
    WaveSpec(
        name="2026年上期",
        slug="demo-2026h1",
        title="さくらマート お客さまアンケート（2026年上期）",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 30),
        field_start=datetime(2026, 2, 2, 10, 0, tzinfo=TOKYO),
        field_end=datetime(2026, 3, 13, 23, 59, tzinfo=TOKYO),
    ),
    WaveSpec(
        name="2026年下期",
        slug="demo-2026h2",
        title="さくらマート お客さまアンケート（2026年下期）",
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 12, 31),
        field_start=datetime(2026, 7, 6, 10, 0, tzinfo=TOKYO),
        field_end=datetime(2026, 8, 14, 23, 59, tzinfo=TOKYO),
    ),
)

# How often each theme is a customer's pain (a recurring bad experience), and its touchpoints.
