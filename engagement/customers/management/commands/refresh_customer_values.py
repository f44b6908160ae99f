from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from engagement.customers import valuation
from engagement.platform.errors import DomainError


class Command(BaseCommand):
    help = "Fit the CLV models and store every customer's predicted CLV, P(alive) and CRV."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--months", type=int, default=12, help="horizon in months")
        parser.add_argument("--discount", type=float, default=0.01, help="monthly discount rate")
        parser.add_argument("--fit-sample", type=int, default=valuation.FIT_SAMPLE)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = valuation.refresh_customer_values(
                horizon_months=options["months"],
                monthly_discount_rate=options["discount"],
                fit_sample=options["fit_sample"],
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(valuation.describe(result))
