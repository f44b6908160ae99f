"""``manage.py voc_quasi_csv --output FILE.csv [--unit review|snippet|sentence] [--data DIR]``

Writes the Quasi Japanese Reviews data set (CC BY 4.0, Megagon Labs) as a labelled CSV
(columns id, text, label = hotel | spot) for ``voc_evaluate``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from voc.evaluation import quasi_reviews_rows

DEFAULT_DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "quasi_japanese_reviews"


class Command(BaseCommand):
    help = "Write the Quasi Japanese Reviews (hotel vs spot) as a labelled CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True)
        parser.add_argument("--unit", choices=["review", "snippet", "sentence"], default="review")
        parser.add_argument("--data", default=str(DEFAULT_DATA))

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with open(options["output"], "w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=["id", "text", "label"])
            writer.writeheader()
            for row in quasi_reviews_rows(options["data"], unit=options["unit"]):
                writer.writerow(row)
                count += 1
        self.stdout.write(f"{count} rows written to {options['output']}")
