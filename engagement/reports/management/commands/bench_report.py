"""``python manage.py bench_report --responses N``: the same as ``bench report``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engagement.reports import benchmarks


class Command(BaseCommand):
    help = "Seed N survey responses (once) and time the improvement report; one JSON line each."

    def add_arguments(self, parser: CommandParser) -> None:
        benchmarks.add_report_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        for row in benchmarks.run_report(**options):
            self.stdout.write(json.dumps(row, ensure_ascii=False))
            self.stdout.flush()
