from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from engagement.demo import services
from engagement.platform.errors import DomainError


class Command(BaseCommand):
    help = "Write a labelled evaluation CSV (text,label; label = theme) of demo feedback."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--items", type=int, default=1500)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, output: Path, items: int, seed: int, **options) -> None:
        try:
            count = services.export_demo_feedback(path=Path(output), items=items, seed=seed)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(
                _("Could not write %(path)s: %(error)s") % {"path": output, "error": exc.strerror}
            ) from exc
        self.stdout.write(
            _("Wrote %(count)s labelled items to %(path)s") % {"count": count, "path": output}
        )
