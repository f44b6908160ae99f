"""Store and campaign links: any number of public links per survey, each with a name and a
source (store, touchpoint, campaign), and the per-survey allow-list of URL parameters (hidden
fields such as ``?store=shibuya&order=A123``) stored on the responses that come through them.

Models only (imported by ``surveys.models``); writes are in ``surveys.services.links``.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.platform.encryption import EncryptedTextField
from engagement.platform.models import TimeStampedModel
from surveys import tokens

PARAMETER_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Names the survey pages use themselves; never taken from the URL.
RESERVED_KEYS = frozenset({"page", "action", "csrfmiddlewaretoken", "started", "website"})


class LinkSource(models.TextChoices):
    STORE = "store", _("Store")
    TOUCHPOINT = "touchpoint", _("Touchpoint")
    CAMPAIGN = "campaign", _("Campaign")


class PublicLink(TimeStampedModel):
    """An anonymous link to a survey, e.g. the QR poster of one store or one campaign's URL."""

    survey = models.ForeignKey(
        "surveys.Survey",
        on_delete=models.CASCADE,
        related_name="public_links",
        verbose_name=_("survey"),
    )
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("source"), max_length=12, choices=LinkSource.choices)
    source_value = models.CharField(
        _("store, touchpoint or campaign code"),
        max_length=100,
        blank=True,
        help_text=_("e.g. shibuya, receipt, 2026-winter; shown in results beside the link."),
    )
    # The token in the URL is this nonce and an HMAC of it (``surveys.tokens``).
    nonce = models.CharField(max_length=64, unique=True, default=tokens.new_nonce, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("public link")
        verbose_name_plural = _("public links")
        ordering = ["survey_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="public_link_name_per_survey")
        ]

    def __str__(self) -> str:
        return self.name


class UrlParameter(TimeStampedModel):
    """One URL parameter a survey accepts and stores on its responses (the allow-list)."""

    survey = models.ForeignKey(
        "surveys.Survey",
        on_delete=models.CASCADE,
        related_name="url_parameters",
        verbose_name=_("survey"),
    )
    key = models.CharField(
        _("parameter"),
        max_length=40,
        help_text=_("Lower-case letters, digits and _ (e.g. store, order)."),
    )
    label = models.CharField(_("label"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("URL parameter")
        verbose_name_plural = _("URL parameters")
        ordering = ["survey_id", "key"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="url_parameter_once_per_survey")
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        if not PARAMETER_KEY.match(self.key or "") or self.key in RESERVED_KEYS:
            raise ValidationError(
                {
                    "key": _(
                        "Use 1 to 40 lower-case letters, digits and _, starting with a letter "
                        "(not page, action or started)."
                    )
                }
            )


ORIGIN = re.compile(r"^https://[a-z0-9.-]+(:[0-9]{1,5})?$")
LOOPBACK_ORIGIN = re.compile(r"^http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?$")


def new_widget_secret() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class Widget(TimeStampedModel):
    """The NPS question and its follow-up embedded in a website or an app's webview (an iframe
    placed by ``static/surveys/widget.js``), on the allowed origins only. The host signs the
    customer ID with ``secret`` (HMAC-SHA256) so that answers link to the customer."""

    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="widgets", verbose_name=_("survey")
    )
    name = models.CharField(_("name"), max_length=100)
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        help_text=_("Sites that may show the widget, e.g. https://shop.example.jp (one a line)."),
    )
    # Encrypted at rest; shown to staff once, when it is made.
    secret = EncryptedTextField(_("signing secret"), default=new_widget_secret, editable=False)
    nonce = models.CharField(max_length=64, unique=True, default=tokens.new_nonce, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("widget")
        verbose_name_plural = _("widgets")
        ordering = ["survey_id", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.conf import settings

        origins = self.allowed_origins or []
        loopback = bool(getattr(settings, "INTEGRATIONS_ALLOW_LOOPBACK", False))
        bad = [
            o
            for o in origins
            if not isinstance(o, str)
            or not (ORIGIN.match(o) or (loopback and LOOPBACK_ORIGIN.match(o)))
        ]
        if not origins or bad:
            raise ValidationError(
                {
                    "allowed_origins": _(
                        "Enter each site as https://host (no path, no trailing slash), "
                        "at least one."
                    )
                }
            )
