"""Domain errors shown on Django forms: the one mapping every staff and customer form uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms

from engagement.platform.errors import DomainError


class StaffChoiceField(forms.ModelChoiceField):
    """A staff member, shown by the name customers and colleagues know them by (display name,
    else full name, else login name), never the login name alone when there is a better one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from engagement.platform.branding import staff_queryset

        kwargs.setdefault("queryset", staff_queryset())
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        from engagement.platform.branding import staff_label

        return staff_label(obj)


def add_domain_error(
    form: forms.BaseForm,
    error: DomainError,
    *,
    field_name: Callable[[str], str] = str,
    summary: bool = True,
) -> None:
    """Put ``error.message`` on the form as a whole (unless ``summary`` is off and the error
    names fields: a page with its own error summary), and each of ``error.fields``' messages on
    its form field (``field_name`` maps the service's field name to the form's; a field the form
    does not have goes to the form as a whole)."""
    if summary or not error.fields:
        form.add_error(None, error.message)
    for name, messages in error.fields.items():
        target = field_name(name)
        for message in messages:
            form.add_error(target if target in form.fields else None, message)
