"""python manage.py export_survey_links --survey SLUG --output FILE.csv

Writes ``customer_external_id,url`` (UTF-8; ``--bom`` for Excel) for the survey's invitations.
Without ``--survey`` it lists the surveys, one a line, slug first.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.exports import links_csv
from surveys.models import Survey
from surveys.selectors import surveys_for_listing


class Command(BaseCommand):
    help = "Export the personal survey links of a survey as customer_external_id,url CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--survey", help="survey slug (omit to list the surveys)")
        parser.add_argument("--output", help="CSV file to write ('-' for standard output)")
        parser.add_argument("--bom", action="store_true", help="start with a BOM (for Excel)")

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options.get("survey")
        if not slug:
            for survey in surveys_for_listing():
                self.stdout.write(
                    f"{survey.slug}\t{survey.status}\t{survey.wave.name}\t{survey.title}"
                )
            return
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(
                f"No survey with slug '{slug}'. Run without --survey to list the surveys."
            )
        output = options.get("output")
        if not output:
            raise CommandError("--output FILE.csv is required (or '-' for standard output).")
        text = links_csv(survey=survey, bom=options["bom"])
        if output == "-":
            self.stdout.write(text, ending="")
            return
        directory = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(directory):
            raise CommandError(f"The folder {directory} does not exist.")
        # Write to a temporary file and rename: a failed export never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, output)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        count = text.count("\n") - 1
        self.stderr.write(f"{count} links written to {output}")
