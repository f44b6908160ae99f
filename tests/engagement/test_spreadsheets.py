"""The one formula-injection neutraliser (engagement.platform.spreadsheets)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engagement.platform.spreadsheets import neutralise

# What a spreadsheet could run: ASCII and full-width formula characters, also after leading
# whitespace (space, full-width space, tab, CR, LF), and a leading tab or CR.
FORMULAS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    '=HYPERLINK("http://example.com","x")',
    "=cmd|' /C calc'!A0",
    "＝1+1",
    "＋1",
    "－1+1",
    "＠SUM(A1)",
    " =1+1",
    "\u3000=1+1",
    "\u3000＝SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " \t @x",
    "\tplain",
    "\rplain",
    "-2+3+cmd|' /C calc'!A0",
    "+81",
    "-3",
]


@pytest.mark.parametrize("payload", FORMULAS)
def test_formula_like_text_gets_an_apostrophe(payload):
    assert neutralise(payload) == "'" + payload


@pytest.mark.parametrize(
    "value", [-3, 0, 2.5, -0.25, Decimal("-1.5"), None, True, "普通の文章", "3-1"]
)
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert neutralise(value) == value
    assert type(neutralise(value)) is type(value)


def test_text_with_a_formula_character_inside_is_left_alone():
    assert neutralise("価格は=100円") == "価格は=100円"
    assert neutralise("a-b") == "a-b"
