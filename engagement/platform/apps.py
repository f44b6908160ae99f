from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    """Infrastructure every app uses (outbox, errors, API conventions, files, roles, logging)."""

    name = "engagement.platform"
    label = "platform"
    verbose_name = _("Platform")
