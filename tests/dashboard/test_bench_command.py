"""The benchmark command itself works (a tiny run; figures are not asserted)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_dashboard_prints_json_lines():
    out = StringIO()
    call_command("bench", "dashboard", "--responses", "60", "--renders", "2", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    first = lines[0]
    assert first["name"] == "dashboard" and first["responses"] == 60
    assert first["behaviours"] == 300 and first["queries"] > 0 and first["seconds"] > 0
    assert {"seed_seconds", "refresh_seconds", "summary_rows"} <= set(first)
    # reuse keeps the data and does not seed again
    out = StringIO()
    call_command("bench", "dashboard", "--responses", "60", "--renders", "1", "--reuse", stdout=out)
    assert json.loads(out.getvalue().splitlines()[0])["seed_seconds"] is None
