from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from engagement.customers import clv_evaluation


class Command(BaseCommand):
    help = (
        "Fit BG/NBD and Gamma-Gamma on the CDNOW sample (39-week calibration) and compare the "
        "predicted with the actual 39-week holdout purchases; JSON, one object per line."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--transactions", default=str(clv_evaluation.DEFAULT_CDNOW_PATH))

    def handle(self, *args: Any, **options: Any) -> None:
        for row in clv_evaluation.evaluate(options["transactions"]):
            self.stdout.write(json.dumps(row, ensure_ascii=False))
