"""``manage.py voc_evaluate --input FILE.csv [--text-column text] [--label-column label]
[--id-column id] [--method NAME] [--seeds N] [--k K] [--sentiment-column COL]
[--predictions OUT.csv] [--filter COL=VALUE]``

Clusters a labelled CSV with the product's pipeline (no database access) and prints one JSON
object with the scores and a baseline's scores (see ``voc.evaluation``). ``--predictions``
writes one row per input row: id, topic_id, topic_label, sentiment, confidence, aspects (JSON:
each clause's text, topic label and sentiment).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engagement.platform.csvfiles import read_csv
from engagement.platform.errors import DomainError
from voc import topics
from voc.evaluation import evaluate


class Command(BaseCommand):
    help = "Cluster a labelled CSV (no database access) and print one JSON object of scores."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True)
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="label")
        parser.add_argument("--id-column", default=None)
        parser.add_argument("--sentiment-column", default=None)
        parser.add_argument("--predictions", default=None, help="write per-item predictions here")
        parser.add_argument("--method", default=topics.DEFAULT_METHOD, choices=topics.METHODS)
        parser.add_argument("--seeds", type=int, default=1)
        parser.add_argument(
            "--filter", default=None, help="COL=VALUE: only the rows with that value (a domain)"
        )
        parser.add_argument("--k", type=int, default=None, help="number of topics (default: auto)")

    def handle(self, *args: Any, **options: Any) -> None:
        text_column, label_column = options["text_column"], options["label_column"]
        id_column, sentiment_column = options["id_column"], options["sentiment_column"]
        required = [text_column, label_column]
        required += [c for c in (id_column, sentiment_column) if c]
        where = None
        if options["filter"]:
            column, _, value = options["filter"].partition("=")
            where = (column, value)
            required.append(column)
        try:
            rows = read_csv(options["input"], required=required)
            texts, labels, ids, sentiments = [], [], [], []
            for _number, row in rows.rows:
                if where and row.get(where[0]) != where[1]:
                    continue
                texts.append(row[text_column] or "")
                labels.append(row[label_column])
                ids.append(row[id_column] if id_column else str(len(ids) + 1))
                if sentiment_column:
                    sentiments.append(row[sentiment_column])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        if not texts:
            raise CommandError("The file has no rows.")
        if options["k"] is not None and options["k"] < 1:
            raise CommandError("--k must be at least 1.")
        if options["seeds"] < 1:
            raise CommandError("--seeds must be at least 1.")
        result = evaluate(
            texts,
            labels,
            k=options["k"],
            method=options["method"],
            seeds=options["seeds"],
            ids=ids,
            sentiments=sentiments if sentiment_column else None,
            predictions=options["predictions"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))
