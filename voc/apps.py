from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VocConfig(AppConfig):
    name = "voc"
    verbose_name = _("Voice of the customer")

    def ready(self) -> None:
        from voc import (
            receivers,  # noqa: F401 (connects the signal receivers)
            retention,  # noqa: F401 (registers its retention rule)
        )
