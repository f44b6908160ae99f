"""System checks: the one base URL every link is built from must be usable."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register
from django.utils.translation import gettext as _

from surveys.channels.validation import url_problem


def site_url_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value or "")
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
    ):
        return _(
            "Enter a full URL starting with http:// or https://, without a path, e.g. "
            "https://survey.example.jp."
        )
    return None


@register()
def check_channel_urls(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    problem = site_url_problem(settings.SITE_URL)
    if problem:
        errors.append(
            Error(
                _("The site URL (SITE_URL) is not usable: %(problem)s") % {"problem": problem},
                id="surveys.E001",
            )
        )
    for name in ("LINE_API_BASE_URL", "TWILIO_API_BASE_URL"):
        problem = url_problem(getattr(settings, name, ""))
        if problem:
            errors.append(Error(f"{name}: {problem}", id="surveys.E002"))
    return errors
