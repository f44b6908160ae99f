from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engagement.customers import services
from engagement.customers.models import Customer


class Command(BaseCommand):
    help = "Erase a customer's personal data and links (APPI/GDPR request); aggregates stay."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("external_id")

    def handle(self, *args: Any, **options: Any) -> None:
        customer = Customer.objects.filter(external_id=options["external_id"]).first()
        if customer is None:
            raise CommandError(f"No customer with ID {options['external_id']!r}.")
        customer = services.forget_customer(customer=customer, now=timezone.now())
        self.stdout.write(f"erased; anonymous id {customer.external_id}")
