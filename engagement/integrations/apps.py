from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Signed webhooks and chat alerts, delivered through the outbox."""

    name = "engagement.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
