"""``manage.py voc_sentiment_evaluate FILE.csv [--text-column text] [--label-column sentiment]
[--nps-column nps] [--group-column domain] [--errors]``

Scores the sentiment of a labelled CSV (no database access) and prints one JSON object:
macro-F1 and accuracy of the clause model, of the old lexicon count and of the majority label,
and agreement with the NPS band where the file has a score (see ``voc.sentiment_evaluation``).
``--group-column`` adds the same figures per value of that column (``by_group``).
``--errors`` prints the misclassified comments instead (gold, predicted, text; one per line).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engagement.platform.csvfiles import read_csv
from engagement.platform.errors import DomainError
from voc.sentiment_evaluation import LABELS, errors, evaluate


class Command(BaseCommand):
    help = "Score the sentiment of a labelled CSV (no database access) and print JSON."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="sentiment")
        parser.add_argument("--nps-column", default=None)
        parser.add_argument("--group-column", default=None)
        parser.add_argument("--errors", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        text_column, label_column = options["text_column"], options["label_column"]
        nps_column = options["nps_column"]
        group_column = options["group_column"]
        required = [text_column, label_column] + [c for c in (nps_column, group_column) if c]
        try:
            rows = read_csv(options["file"], required=required)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        texts, labels, scores, groups = [], [], [], []
        for number, row in rows.rows:
            label = (row[label_column] or "").strip().lower()
            if label not in LABELS:
                raise CommandError(f"row {number}: unknown label {label!r} (expected {LABELS})")
            texts.append(row[text_column] or "")
            groups.append(row[group_column] if group_column else "")
            labels.append(label)
            if nps_column:
                value = (row[nps_column] or "").strip()
                scores.append(int(value) if value.isdigit() else None)
        if not texts:
            raise CommandError("The file has no rows.")
        if options["errors"]:
            for gold, predicted, text in errors(texts, labels):
                self.stdout.write(f"{gold}\t{predicted}\t{text}")
            return
        result = evaluate(texts, labels, scores if nps_column else None)
        if group_column:
            result["by_group"] = {}
            for group in sorted(set(groups)):
                chosen = [i for i, value in enumerate(groups) if value == group]
                part = evaluate(
                    [texts[i] for i in chosen],
                    [labels[i] for i in chosen],
                    [scores[i] for i in chosen] if nps_column else None,
                )
                result["by_group"][group] = {
                    key: part[key]
                    for key in (
                        "n_items",
                        "macro_f1",
                        "lexicon_count_macro_f1",
                        "majority_macro_f1",
                        "nps_agreement",
                    )
                    if key in part
                }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
