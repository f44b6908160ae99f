"""Secrets in the admin: write-only fields, and a secret the app makes shown once.

``WriteOnlySecretsForm``: each field of ``secret_fields`` is a password input that never renders
the stored value; its help says 「設定済み」, 「未設定」 or that it cannot be decrypted; left empty,
the stored value is kept (an undecryptable one too, unchanged). ``regenerate`` (optional) names
a secret the app makes (``new_secret_value``): created empty, or with the 「新しく発行する」 box
ticked, a new one is made and ``ShowSecretOnceAdmin`` shows it on one page after saving, never
again (not in a message: messages may travel in a cookie).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.platform import encryption

SHOWN_ONCE = "_secret_shown_once"


class WriteOnlySecretsForm(forms.ModelForm):
    secret_fields: ClassVar[tuple[str, ...]] = ()
    regenerate: ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stored: dict[str, str] = {}
        for name in self.secret_fields:
            if name not in self.fields:
                continue
            stored = getattr(self.instance, name, "") if self.instance.pk else ""
            self._stored[name] = stored
            field = self.fields[name]
            field.required = False
            field.widget = forms.PasswordInput(
                render_value=False, attrs={"autocomplete": "new-password"}
            )
            self.initial[name] = ""
            state = encryption.state_label(stored)
            if stored or encryption.is_unreadable(stored):
                current = _("Current: %(state)s (leave empty to keep it)") % {"state": state}
            elif name == self.regenerate:
                current = _("Leave empty to have one made; it is shown once after saving.")
            else:
                current = _("Current: %(state)s") % {"state": state}
            field.help_text = f"{field.help_text} {current}" if field.help_text else current
        if self.regenerate and self.instance.pk:
            self.fields["new_secret"] = forms.BooleanField(
                label=gettext_lazy("Issue a new signing secret"),
                required=False,
                help_text=gettext_lazy(
                    "The new secret is shown once after saving; the receiver must be given it."
                ),
            )

    def new_secret_value(self) -> str:
        """The secret the app makes for ``regenerate`` (subclasses with ``regenerate``)."""
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        typed: dict[str, str] = {}
        for name, stored in self._stored.items():
            value = data.get(name)
            typed[name] = value.strip() if isinstance(value, str) else (value or "")
            data[name] = typed[name] or stored
        if self.regenerate:
            own = bool(typed.get(self.regenerate))  # staff typed one: it wins
            if not own and (data.get("new_secret") or not self.instance.pk):
                generated = self.new_secret_value()
                if self.regenerate in self.fields:
                    data[self.regenerate] = generated
                else:
                    setattr(self.instance, self.regenerate, generated)
                setattr(self.instance, SHOWN_ONCE, True)
        return data


class ShowSecretOnceAdmin:
    """For a ModelAdmin whose form is a ``WriteOnlySecretsForm`` with ``regenerate``."""

    secret_attr = "secret"  # noqa: S105 (an attribute name)

    def _shown_once(self, request: HttpRequest, obj: Any, response: HttpResponse) -> HttpResponse:
        if not getattr(obj, SHOWN_ONCE, False):
            return response
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Signing secret of %(name)s") % {"name": obj},
            "secret": getattr(obj, self.secret_attr),
            "next_url": response.get("Location", ""),
            "opts": obj._meta,
        }
        page = TemplateResponse(request, "platform/secret_once.html", context)
        page["Cache-Control"] = "no-store"
        return page

    def response_add(self, request: HttpRequest, obj: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().response_add(request, obj, *args, **kwargs)  # type: ignore[misc]
        return self._shown_once(request, obj, response)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        response = super().response_change(request, obj)  # type: ignore[misc]
        return self._shown_once(request, obj, response)
