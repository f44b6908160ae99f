from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from engagement.audit.log import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; fails naming every entry changed in the database."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(f"entry {problem.entry_id}: {problem.reason} does not match")
            raise CommandError(f"{len(problems)} problem(s) in the audit log")
        self.stdout.write("audit log chain intact")
