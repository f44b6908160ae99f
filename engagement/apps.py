from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = _("Customers and behaviour")

    def ready(self) -> None:
        # Built-in behaviour kinds come back after every migrate and every flush (e.g. between
        # transactional tests), not only from migration 0002.
        post_migrate.connect(
            ensure_builtin_kinds_after_migrate, sender=self, dispatch_uid="builtin-kinds"
        )


def ensure_builtin_kinds_after_migrate(sender: Any, **kwargs: Any) -> None:
    from engagement.services import ensure_builtin_behaviour_kinds

    ensure_builtin_behaviour_kinds()
