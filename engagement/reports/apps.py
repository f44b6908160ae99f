from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "engagement.reports"
    label = "reports"
    verbose_name = _("Improvement reports")

    def ready(self) -> None:
        from engagement.reports import receivers  # noqa: F401  (connects the value refresh)
