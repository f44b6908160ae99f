"""Numbers and dates as Japanese readers expect them (engagement.platform.formatting and its
template filters), plain numbers in CSV files, one rounding and one small-sample label."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from engagement.dashboard import panels
from engagement.platform import formatting, spreadsheets
from voc import impact


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


@pytest.mark.parametrize(
    "function, value, expected",
    [
        (formatting.yen, 22450, "¥22,450"),
        (formatting.yen, 22450.5, "¥22,451"),
        (formatting.yen, -1200, "-¥1,200"),
        (formatting.yen, None, "—"),
        (formatting.count, 1234567, "1,234,567"),
        (formatting.count, 0, "0"),
        (formatting.percent, 12.345, "12.3%"),
        (formatting.percent, 12.25, "12.3%"),  # half up, as floatformat
        (formatting.percent, 50, "50.0%"),
        (formatting.ratio, 0.5, "50.0%"),
        (formatting.number, 43954.6, "43,954.6"),
        (formatting.number, 4.25, "4.25"),
        (formatting.number, 1234, "1,234"),
        (formatting.number, "店舗", "店舗"),
        (formatting.number, -0.04, "-0.04"),
    ],
)
def test_numbers_have_separators_and_one_rounding(function, value, expected):
    assert function(value) == expected


def test_dates_and_times_are_japanese_in_tokyo_time():
    utc = dt.datetime(2026, 12, 7, 20, 8, tzinfo=dt.UTC)  # 05:08 the next morning in Tokyo
    assert formatting.date(utc) == "2026年12月8日"
    assert formatting.datetime(utc) == "2026年12月8日 05:08"
    assert formatting.short_datetime(utc) == "2026/12/08 05:08"
    assert formatting.short_date(dt.date(2026, 1, 5)) == "2026/01/05"
    assert formatting.datetime(utc.astimezone(ZoneInfo("America/New_York"))).endswith("05:08")


def test_template_filters():
    rendered = Template(
        "{% load formatting %}{{ a|yen }} {{ b|count }} {{ c|percent }} {{ d|ratio }} "
        "{{ e|number:1 }} {{ n|reference_label }}"
    ).render(Context({"a": 22450, "b": 43954, "c": 12.34, "d": 0.123, "e": 43954.64, "n": 12}))
    assert rendered == "¥22,450 43,954 12.3% 12.3% 43,954.6 参考値（n=12）"


def test_one_rounding_for_every_figure():
    """Selectors round half up (12.25 → 12.3), as the formatters and floatformat do; Python's
    round() would give 12.2."""
    assert round(12.25, 1) == 12.2
    assert formatting.rounded(12.25) == 12.3
    assert panels.rnd(12.25) == 12.3
    assert impact._round(12.25) == 12.3
    assert impact._round(float("nan")) is None


def test_small_samples_are_marked_the_same_way_everywhere():
    label = formatting.reference_label(12)
    assert label == "参考値（n=12）"
    # A topic with too few customers (reports, dashboard, topic list and their exports all
    # print TopicEffect's labels).
    reference = impact.TopicEffect.reference_label.fget(SimpleNamespace(customers=12))
    assert reference == label
    topic = SimpleNamespace(kind=impact.REFERENCE, reference_label=reference)
    assert impact.TopicEffect.kind_label.fget(topic) == label


def test_csv_cells_keep_numbers_plain_and_neutralise_text_only():
    buffer = io.StringIO()
    row = [-3, -0.5, 43954.6, 0.1 + 0.2, 100.0, True, None, "-1+2", "=SUM(A1)", "＋81", "店舗"]
    csv.writer(buffer).writerow([spreadsheets.cell(value) for value in row])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [
        "-3",
        "-0.5",
        "43954.6",
        "0.3",
        "100.0",
        "1",
        "",
        "'-1+2",
        "'=SUM(A1)",
        "'＋81",
        "店舗",
    ]
