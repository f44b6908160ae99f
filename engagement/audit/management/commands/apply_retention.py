from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from engagement.audit.retention import apply_retention, registered_rules, retention_months


class Command(BaseCommand):
    help = "Delete or anonymise data older than its retention period (--dry-run: only count)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would go")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        months = retention_months()
        run = apply_retention(now=timezone.now(), dry_run=dry_run, trigger="apply_retention")
        verb = "would go" if dry_run else "went"
        for rule in registered_rules():
            period = months.get(rule.kind, 0)
            if period <= 0:
                self.stdout.write(f"{rule.kind}: kept for ever ({rule.name})")
                continue
            cutoff = run.cutoffs.get(rule.kind, "")
            self.stdout.write(
                f"{rule.kind}: {run.counts.get(rule.name, 0)} {verb} ({rule.name}, "
                f"older than {cutoff}, {period} months)"
            )
        self.stdout.write(f"retention run {run.pk}{' (dry run)' if dry_run else ''}")
