"""``manage.py voc_evaluate --input FILE.csv --text-column text --label-column label [--k K]``

Clusters a labelled CSV with the product's pipeline (no database access) and prints one JSON
object with the scores and a baseline's scores (see ``voc.evaluation``).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engagement.platform.csvfiles import read_csv
from engagement.platform.errors import DomainError
from voc.evaluation import evaluate


class Command(BaseCommand):
    help = "Cluster a labelled CSV (no database access) and print one JSON object of scores."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True)
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="label")
        parser.add_argument("--k", type=int, default=None, help="number of topics (default: auto)")

    def handle(self, *args: Any, **options: Any) -> None:
        text_column, label_column = options["text_column"], options["label_column"]
        try:
            rows = read_csv(options["input"], required=[text_column, label_column])
            texts, labels = [], []
            for _number, row in rows.rows:
                texts.append(row[text_column])
                labels.append(row[label_column])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        if not texts:
            raise CommandError("The file has no rows.")
        if options["k"] is not None and options["k"] < 1:
            raise CommandError("--k must be at least 1.")
        result = evaluate(texts, labels, k=options["k"])
        self.stdout.write(json.dumps(result, ensure_ascii=False))
