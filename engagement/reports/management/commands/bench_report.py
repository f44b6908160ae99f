"""``python manage.py bench_report --items N``: time report generation over N feedback items."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from engagement.reports import benchmarks


class Command(BaseCommand):
    help = "Seed N feedback items (once) and time the improvement report; one JSON line each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--items", type=int, default=100_000)
        parser.add_argument("--repeat", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        for row in benchmarks.run(items=options["items"], repeat=options["repeat"]):
            self.stdout.write(json.dumps(row, ensure_ascii=False))
            self.stdout.flush()
