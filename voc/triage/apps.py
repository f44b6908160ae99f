from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "voc.triage"
    label = "triage"
    verbose_name = _("Triage")

    def ready(self) -> None:
        from engagement.platform.roles import sync_roles_after_migrate
        from voc.triage import receivers  # noqa: F401 (connects the signal receivers)
        from voc.triage.defaults import create_defaults_after_migrate

        post_migrate.connect(
            sync_roles_after_migrate, sender=self, dispatch_uid="triage-sync-roles"
        )
        post_migrate.connect(
            create_defaults_after_migrate, sender=self, dispatch_uid="triage-defaults"
        )
