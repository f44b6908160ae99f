"""Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS (key rotation).

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (the old ones after it), restart, run
this command, then remove the old keys. Values no listed key decrypts are named and left as
they are; the command then exits with an error.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from engagement.platform import encryption


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only report what cannot be decrypted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = encryption.reencrypt_all(dry_run=options["check"])
        for label in result.unreadable:
            self.stderr.write(f"cannot be decrypted with FIELD_ENCRYPTION_KEYS: {label}")
        verb = "would re-encrypt" if options["check"] else "re-encrypted"
        self.stdout.write(f"{verb} {result.rewritten} value(s) in {result.rows} row(s)")
        if result.unreadable:
            raise CommandError(
                f"{len(result.unreadable)} value(s) could not be decrypted: add the key they "
                "were saved with to FIELD_ENCRYPTION_KEYS (anywhere after the first) and run "
                "this again, or enter those secrets again in the admin."
            )
