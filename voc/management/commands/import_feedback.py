"""``python manage.py import_feedback FILE.csv [--skip-bad-rows]``

Columns: text (required), channel, received_at, customer_external_id, rating, external_id; other
columns are kept as attributes. UTF-8 (with or without BOM) or Shift_JIS (cp932). A file with
errors imports nothing unless --skip-bad-rows; re-importing the same file never duplicates.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from engagement.platform.errors import DomainError
from voc.services import import_feedback


class Command(BaseCommand):
    help = "Import feedback (support inquiries, reviews, SNS posts) from a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--skip-bad-rows", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_feedback(source=options["file"], skip_bad_rows=options["skip_bad_rows"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(
            _("%(created)s imported, %(duplicates)s already there, %(skipped)s rows skipped.")
            % {
                "created": result.created,
                "duplicates": result.duplicates,
                "skipped": result.skipped_rows,
            }
        )
