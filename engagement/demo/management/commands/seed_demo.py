from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.demo import services
from engagement.platform.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo data set (customers, behaviour, two survey waves, feedback)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, customers: int, seed: int, **options) -> None:
        started = time.perf_counter()
        # With Celery eager (no broker), every answer's VoC task logs a line; keep output short.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        try:
            result = services.seed_demo(
                customers=customers, seed=seed, log=lambda line: self.stdout.write("  " + line)
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        dataset = result.dataset
        if not result.created:
            self.stdout.write(
                _(
                    "The demo data set is already loaded (seed %(seed)s, %(customers)s "
                    "customers, loaded %(when)s); reusing it, nothing added."
                )
                % {
                    "seed": dataset.seed,
                    "customers": dataset.customers,
                    "when": timezone.localtime(dataset.created_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _("Demo data set loaded (seed %(seed)s) in %(seconds).1f s: %(summary)s")
                % {
                    "seed": dataset.seed,
                    "seconds": time.perf_counter() - started,
                    "summary": ", ".join(f"{k}={v}" for k, v in dataset.summary.items()),
                }
            )
        )
