"""Cells for files that people open in spreadsheets (CSV, xlsx): formula injection neutralised.

A text cell that a spreadsheet could read as a formula gets a leading apostrophe, so Excel shows
it as text instead of running it: one that starts with ``=``, ``+``, ``-``, ``@`` or their
full-width forms ``＝＋－＠``, also after leading whitespace (spaces, the full-width space, tab,
CR, LF), and one that starts with a tab or carriage return. Numbers stay numbers: ints, floats
and Decimals pass unchanged (xlsx writes them as numeric cells, CSV as ``-3``), so exporters
pass numbers as numbers, not as text. Text is neutralised whatever follows (``"+81"`` too: as
text it was meant to stay text). Other values (dates, None) pass unchanged. Every export calls
``neutralise``.
"""

from __future__ import annotations

import re
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
