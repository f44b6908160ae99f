from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Staff identity and accountability: the audit log, retention, sessions, sign-in."""

    name = "engagement.audit"
    label = "audit"
    verbose_name = _("Audit and access")

    def ready(self) -> None:
        from engagement.audit import receivers, retention  # noqa: F401 (registers its rules)

        receivers.connect()
