"""``python manage.py bench NAME [options]``: benchmarks that print one JSON object a line.

Each benchmark is a function registered in a ``BENCHMARKS`` dict of its package
(``surveys.benchmarks``, ``voc.benchmarks``, ``engagement.dashboard.benchmarks``), or here for
those that span apps (``engagement.benchmarks.pages``): it receives
the parsed options and yields dicts, each printed as one JSON line. Figures are measured, never
asserted by unit tests.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def registry() -> dict[str, tuple[Callable[..., Iterable[dict[str, Any]]], Callable[..., None]]]:
    from engagement.benchmarks import pages, values
    from engagement.dashboard import benchmarks as dashboard_benchmarks
    from surveys import benchmarks as survey_benchmarks
    from voc import benchmarks as voc_benchmarks

    return {
        **survey_benchmarks.BENCHMARKS,
        **voc_benchmarks.BENCHMARKS,
        **dashboard_benchmarks.BENCHMARKS,
        "pages": (pages.run_pages, pages.add_pages_arguments),
        "clv": (values.run_clv, values.add_clv_arguments),
    }


class Command(BaseCommand):
    help = "Run a benchmark and print one JSON object a line."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name, (_run, add_arguments) in registry().items():
            sub = subparsers.add_parser(name, formatter_class=argparse.RawTextHelpFormatter)
            add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        run, _add_arguments = registry()[options["benchmark"]]
        for row in run(**options):
            self.stdout.write(json.dumps(row, ensure_ascii=False))
            self.stdout.flush()
