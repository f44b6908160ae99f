from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "engagement.customers"
    # The label the app had when it was the project package: tables, permissions
    # ("engagement.view_customer") and migrations keep their names.
    label = "engagement"
    verbose_name = _("Customers and behaviour")

    def ready(self) -> None:
        from engagement.audit.receivers import on_customer_forgotten
        from engagement.customers import retention  # noqa: F401 (registers its retention rule)
        from engagement.customers.services import customer_forgotten

        customer_forgotten.connect(on_customer_forgotten, dispatch_uid="audit-customer-forgotten")
        # Built-in behaviour kinds come back after every migrate and every flush (e.g. between
        # transactional tests), not only from migration 0002.
        post_migrate.connect(
            ensure_builtin_kinds_after_migrate, sender=self, dispatch_uid="builtin-kinds"
        )


def ensure_builtin_kinds_after_migrate(sender: Any, **kwargs: Any) -> None:
    from engagement.customers.services import ensure_builtin_behaviour_kinds

    ensure_builtin_behaviour_kinds()
