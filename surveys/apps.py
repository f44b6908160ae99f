from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from surveys import (
            checks,  # noqa: F401 (registers the system checks)
            receivers,  # noqa: F401 (connects the signal receivers)
            retention,  # noqa: F401 (registers its retention rule)
        )
