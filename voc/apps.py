from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VocConfig(AppConfig):
    name = "voc"
    verbose_name = _("Voice of the customer")
