"""Shared body of ``import_customers`` and ``import_behaviours``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engagement.customers import imports
from engagement.platform.errors import DomainError


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            help="CSV (UTF-8 with or without BOM, or Shift_JIS/cp932) or Excel workbook (.xlsx)",
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="import the valid rows and report the others (default: all or nothing)",
        )
        parser.add_argument("--quiet-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(stage: str, rows: int) -> None:
            if not options["quiet_progress"] and rows % 100000 == 0:
                self.stderr.write(f"{stage}: {rows}")

        try:
            result = imports.import_csv(
                options["file"],
                kind=self.kind,
                now=timezone.now(),
                skip_invalid=options["skip_invalid"],
                progress=progress,
            )
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
