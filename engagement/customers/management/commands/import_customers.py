from engagement.customers.management.commands._importcommand import ImportCommand
from engagement.customers.models import ImportKind


class Command(ImportCommand):
    help = "Import customers from a CSV file (upsert by external_id; all or nothing)."
    kind = ImportKind.CUSTOMERS
