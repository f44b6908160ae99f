from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# Japanese names for the sign-in apps that ship none (the admin's sidebar and pages):
# app label → (app name, {model name → (singular, plural)}). Only the display names change;
# the models' Meta (and so their migrations) stay the packages' own.
THIRD_PARTY_NAMES = {
    "axes": (
        _("Sign-in lockout"),
        {
            "accessattempt": (_("failed sign-in attempt"), _("failed sign-in attempts")),
            "accessfailurelog": (_("failed sign-in record"), _("failed sign-in records")),
            "accesslog": (_("sign-in record"), _("sign-in records")),
            "accessattemptexpiration": (
                _("sign-in attempt expiry"),
                _("sign-in attempt expiries"),
            ),
        },
    ),
    "otp_totp": (
        _("Two-factor: authenticator apps"),
        {"totpdevice": (_("authenticator app"), _("authenticator apps"))},
    ),
    "otp_static": (
        _("Two-factor: recovery codes"),
        {
            "staticdevice": (_("recovery code set"), _("recovery code sets")),
            "statictoken": (_("recovery code"), _("recovery codes")),
        },
    ),
    "authtoken": (_("API tokens"), {"tokenproxy": (_("API token"), _("API tokens"))}),
}


def name_third_party_apps() -> None:
    for label, (app_name, models) in THIRD_PARTY_NAMES.items():
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        config.verbose_name = app_name
        for model_name, (singular, plural) in models.items():
            try:
                model = config.get_model(model_name)
            except LookupError:
                continue
            model._meta.verbose_name = singular
            model._meta.verbose_name_plural = plural


class AuditConfig(AppConfig):
    """Staff identity and accountability: the audit log, retention, sessions, sign-in."""

    name = "engagement.audit"
    label = "audit"
    verbose_name = _("Audit and access")

    def ready(self) -> None:
        from engagement.audit import receivers, retention  # noqa: F401 (registers its rules)

        receivers.connect()
        name_third_party_apps()
