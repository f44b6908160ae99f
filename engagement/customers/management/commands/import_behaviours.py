from engagement.customers.management.commands._importcommand import ImportCommand
from engagement.customers.models import ImportKind


class Command(ImportCommand):
    help = "Import behaviour records from a CSV file (de-duplicated by event_id; all or nothing)."
    kind = ImportKind.BEHAVIOURS
