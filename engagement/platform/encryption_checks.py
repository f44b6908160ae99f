"""System check: FIELD_ENCRYPTION_KEYS holds usable Fernet keys (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from engagement.platform import encryption


@register()
def check_field_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        encryption.fernet()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="platform.E001")]
    return []
