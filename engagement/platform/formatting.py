"""How numbers and dates look on every page (Japanese conventions), in one place.

- yen: ``¥22,450`` (rounded to the yen);
- counts: ``1,234``;
- percentages: one decimal, ``12.3%`` (``percent`` takes percentage points, ``ratio`` a 0–1
  share);
- other numbers: thousands separators, the decimals they were rounded to upstream (at most 3),
  so ``43954.6`` shows as ``43,954.6`` and ``4.25`` stays ``4.25``;
- dates and times: ``2026年12月7日`` and ``2026年12月7日 20:08`` in the current time zone
  (Asia/Tokyo); short forms ``2026/12/07`` and ``2026/12/07 20:08`` for tables;
- small samples: ``参考値（n=12）`` (``reference_label``), the same words everywhere;
- rounding: half up on the decimal value (``rounded``: 12.25 → 12.3, as Django's floatformat),
  used by the selectors that round figures (dashboard panels, topic effects) and by these
  formatters, so a figure rounds the same on every page and in every export.

"No data" (None or an empty string) shows as ``—``. The template filters in
``engagement/platform/templatetags/formatting.py`` call these; CSV and xlsx keep plain numbers
(``engagement.platform.spreadsheets.cell``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

NO_DATA = "—"


def _missing(value: Any) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, float) and math.isnan(value)


def _as_number(value: Any) -> float | int | Decimal | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    try:
        text = str(value).replace(",", "").strip()
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except (TypeError, ValueError):
        return None


def rounded(value: float | int | Decimal | None, digits: int = 1) -> float | None:
    """Half-up rounding of the decimal value (``round`` rounds 12.25 to 12.2: binary floats
    and ties to even); None, NaN and infinities are no data."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        exact = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def _grouped(number: float | int | Decimal, decimals: int) -> str:
    if not isinstance(number, int):
        number = Decimal(repr(number) if isinstance(number, float) else str(number)).quantize(
            Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
        )
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and float(number) > -(0.5 * 10**-decimals):
        text = text[1:]  # -0.0 → 0.0
    return text


def count(value: Any) -> str:
    """``1234`` → ``1,234``."""
    if _missing(value):
        return NO_DATA
    number = _as_number(value)
    if number is None:
        return str(value)
    return _grouped(number, 0)


def yen(value: Any) -> str:
    """``22450`` → ``¥22,450`` (rounded to the yen)."""
    if _missing(value):
        return NO_DATA
    number = _as_number(value)
    if number is None:
        return str(value)
    text = _grouped(number, 0)
    return "-¥" + text[1:] if text.startswith("-") else "¥" + text


def percent(value: Any, decimals: int = 1) -> str:
    """Percentage points: ``12.345`` → ``12.3%``."""
    if _missing(value):
        return NO_DATA
    number = _as_number(value)
    if number is None:
        return str(value)
    return _grouped(number, decimals) + "%"


def ratio(value: Any, decimals: int = 1) -> str:
    """A share from 0 to 1: ``0.12345`` → ``12.3%``."""
    if _missing(value):
        return NO_DATA
    number = _as_number(value)
    if number is None:
        return str(value)
    return percent(float(number) * 100, decimals)


def _decimals_of(number: float | Decimal) -> int:
    text = repr(float(number)) if isinstance(number, float) else str(number)
    if "e" in text or "E" in text:
        return 3
    return min(len(text.split(".")[1]) if "." in text else 0, 3)


def number(value: Any, decimals: int | None = None) -> Any:
    """Thousands separators for ints and floats (the decimals they have, at most 3, or
    ``decimals``); anything else (text, an empty cell) unchanged."""
    if isinstance(value, str):
        return value
    if _missing(value):
        return NO_DATA
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, int):
        return _grouped(value, 0)
    if isinstance(value, float) and not math.isfinite(value):
        return NO_DATA
    places = _decimals_of(value) if decimals is None else decimals
    if places and decimals is None and float(value) == int(float(value)):
        places = 1 if isinstance(value, float) else 0
    return _grouped(value, places)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _day(value: Any, written: Callable[[dt.date], str]) -> str:
    """``written(day)`` of a date, or of a datetime's day in the current time zone."""
    if _missing(value):
        return NO_DATA
    if isinstance(value, dt.datetime):
        value = _local(value).date()
    if not isinstance(value, dt.date):
        return str(value)
    return written(value)


def date(value: Any) -> str:
    """``2026年12月7日`` (a datetime is first put in the current time zone)."""
    return _day(value, lambda day: f"{day.year}年{day.month}月{day.day}日")


def datetime(value: Any) -> str:
    """``2026年12月7日 20:08`` in the current time zone (Asia/Tokyo)."""
    if _missing(value):
        return NO_DATA
    if not isinstance(value, dt.datetime):
        return date(value)
    local = _local(value)
    return f"{date(local)} {local:%H:%M}"


def short_date(value: Any) -> str:
    """``2026/12/07`` for tables."""
    return _day(value, lambda day: f"{day:%Y/%m/%d}")


def short_datetime(value: Any) -> str:
    """``2026/12/07 20:08`` in the current time zone, for tables."""
    if _missing(value):
        return NO_DATA
    if not isinstance(value, dt.datetime):
        return short_date(value)
    return f"{_local(value):%Y/%m/%d %H:%M}"


def reference_label(n: int) -> str:
    """The mark of a figure from too small a sample: 「参考値（n=12）」."""
    return gettext("Reference value (n=%(n)s)") % {"n": count(n)}
