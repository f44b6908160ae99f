from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    """Infrastructure every app uses (outbox, errors, API conventions, files, roles, logging)."""

    name = "engagement.platform"
    label = "platform"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from engagement.platform import branding, encryption_checks  # noqa: F401 (checks)
        from engagement.platform.models import Branding

        post_save.connect(branding.forget_cached, sender=Branding, dispatch_uid="branding-cache")
        post_delete.connect(branding.forget_cached, sender=Branding, dispatch_uid="branding-del")
