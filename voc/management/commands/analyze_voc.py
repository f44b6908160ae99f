"""``python manage.py analyze_voc [--k K] [--workers]``: the full VoC analysis.

Tokenises what is new (or tokenised with an older user dictionary), clusters, labels and
assigns every item (``voc.services.run_analysis``). With ``--workers`` it only enqueues the
tokenisation as chunk tasks for the Celery workers and returns.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from engagement.platform.errors import DomainError
from voc.services import dispatch_tokenization, run_analysis
from voc.services.analysis import local_processes


class Command(BaseCommand):
    help = "Run the VoC analysis: tokenise new feedback, cluster into topics, label and assign."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--k", type=int, default=None, help="number of topics (default: auto)")
        parser.add_argument(
            "--workers",
            action="store_true",
            help="only enqueue tokenisation chunks for the Celery workers",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["k"] is not None and options["k"] < 1:
            raise CommandError("--k must be at least 1.")
        if options["workers"]:
            chunks = dispatch_tokenization()
            self.stdout.write(_("%(chunks)s tokenisation chunks enqueued.") % {"chunks": chunks})
            return
        try:
            run = run_analysis(k=options["k"], processes=local_processes())
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            _("Analysed %(items)s items into %(topics)s topics (k: %(criterion)s, %(k)s).")
            % {
                "items": run.n_items,
                "topics": run.n_topics,
                "criterion": run.criterion_label,
                "k": run.selection.get("k"),
            }
        )
