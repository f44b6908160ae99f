"""``python manage.py bench NAME [options]``: benchmarks that print one JSON object a line.

Each benchmark is a function registered in a ``BENCHMARKS`` dict of its app's ``benchmarks``
module (``surveys.benchmarks``, ``voc.benchmarks``, ``engagement.dashboard.benchmarks``,
``engagement.reports.benchmarks`` …, found through the installed apps), or in this app for those
that span apps (``pages``, ``import``, ``clv``): it receives the parsed options and yields
dicts, each printed as one JSON line. Figures are measured, never asserted by unit tests.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser


def registry() -> dict[str, tuple[Callable[..., Iterable[dict[str, Any]]], Callable[..., None]]]:
    found: dict[str, Any] = {}
    for app in apps.get_app_configs():
        if importlib.util.find_spec(f"{app.name}.benchmarks") is None:
            continue
        module = importlib.import_module(f"{app.name}.benchmarks")
        found.update(getattr(module, "BENCHMARKS", {}))
    from engagement.benchmarks import imports, line_send, pages, values

    found["pages"] = (pages.run_pages, pages.add_pages_arguments)
    found["import"] = (imports.run_import, imports.add_import_arguments)
    found["clv"] = (values.run_clv, values.add_clv_arguments)
    found["line-send"] = (line_send.run_line_send, line_send.add_line_send_arguments)
    return found


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
