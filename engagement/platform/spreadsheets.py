"""Cells for files that people open in spreadsheets (CSV, xlsx): formula injection neutralised.

A text cell that a spreadsheet could read as a formula gets a leading apostrophe, so Excel shows
it as text instead of running it: one that starts with ``=``, ``+``, ``-``, ``@`` or their
full-width forms ``＝＋－＠``, also after leading whitespace (spaces, the full-width space, tab,
CR, LF), and one that starts with a tab or carriage return. Numbers stay numbers: ints, floats
and Decimals pass unchanged (xlsx writes them as numeric cells, CSV as ``-3``), so exporters
pass numbers as numbers, not as text. Text is neutralised whatever follows (``"+81"`` too: as
text it was meant to stay text). Other values (dates, None) pass unchanged. Every export calls
``neutralise``, or ``cell`` for a CSV cell.

``cell`` is what a CSV writer gets: None as an empty cell, booleans as 1/0, numbers as plain
numbers (no thousands separator, no currency sign, floats without binary noise: ``43954.6``,
``-3``, ``100.0``), text neutralised. So a number never gets the apostrophe: neutralising
touches text only.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise

FORMULA_CHARACTERS = "=+-@＝＋－＠"
# Leading whitespace as Excel and LibreOffice skip it (incl. U+3000) before a formula character,
# or a tab / carriage return at the very start.
FORMULA_START = re.compile(r"^(?:[\s\u3000\u00a0\ufeff]*[=+\-@＝＋－＠]|[\t\r])")


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    return bool(FORMULA_START.match(value))


def neutralise(value: Any) -> Any:
    if isinstance(value, Promise):  # a lazily translated string is text too
        value = str(value)
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """A CSV cell: plain numbers stay numbers (``-3``, ``0.25``), text is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return round(value, 10)  # 0.1 + 0.2 → 0.3; 100.0 stays 100.0
    return neutralise(value if isinstance(value, str) else str(value))
