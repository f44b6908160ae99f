"""Number columns of admin change lists, written as every page writes them
(``engagement.platform.formatting``): counts ``1,234``, yen ``¥22,450``, decimals with separators.

Django's change list prints a number field without thousands separators (``USE_THOUSAND_SEPARATOR``
is off, on purpose: it would also change numbers in URLs and attributes). A model admin lists
``n_items_column = count_column(AnalysisRun, "n_items")`` instead of ``"n_items"``; the column has
the field's name as its heading and sorts by the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model

from engagement.platform import formatting


def _column(
    model: type[Model], field: str, render: Callable[[Any], str]
) -> Callable[[Any, Any], str]:
    def show(model_admin: Any, obj: Any) -> str:
        value = getattr(obj, field)
        return model_admin.get_empty_value_display() if value is None else render(value)

    show.__name__ = f"{field}_column"
    description = model._meta.get_field(field).verbose_name
    return admin.display(description=description, ordering=field)(show)


def count_column(model: type[Model], field: str) -> Callable[[Any, Any], str]:
    """A count with thousands separators (``12,345``)."""
    return _column(model, field, formatting.count)


def yen_column(model: type[Model], field: str) -> Callable[[Any, Any], str]:
    """An amount in yen (``¥22,450``)."""
    return _column(model, field, formatting.yen)


def decimal_column(
    model: type[Model], field: str, *, decimals: int = 1
) -> Callable[[Any, Any], str]:
    """A decimal with separators, rounded to ``decimals`` places (``43.9``)."""
    return _column(model, field, lambda value: str(formatting.number(value, decimals)))
