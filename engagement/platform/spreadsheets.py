"""Cells for files that people open in spreadsheets (CSV, xlsx): formula injection neutralised.

A text cell that starts like a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a
leading apostrophe, so Excel shows it as text instead of running it. Other values (numbers, dates,
None) pass unchanged: a negative NPS is data, not a formula. Every export calls ``neutralise``.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, Promise):  # a lazily translated string is text too
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
