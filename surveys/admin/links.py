"""Store and campaign links (URL, QR code as SVG and PNG, printable A4 poster) and the URL
parameters each survey accepts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.platform import encryption
from engagement.platform.secret_forms import ShowSecretOnceAdmin, WriteOnlySecretsForm
from surveys.links import PublicLink, UrlParameter, Widget, new_widget_secret
from surveys.services import links


class UrlParameterForm(forms.ModelForm):
    class Meta:
        model = UrlParameter
        fields = ["survey", "key", "label"]


@admin.register(UrlParameter)
class UrlParameterAdmin(admin.ModelAdmin):
    form = UrlParameterForm
    list_display = ["key", "label", "survey"]
    list_filter = ["survey"]
    list_select_related = ["survey"]
    search_fields = ["key", "label"]


@admin.register(PublicLink)
class PublicLinkAdmin(admin.ModelAdmin):
    list_display = ["name", "survey", "source", "source_value", "answers", "is_active", "downloads"]
    list_filter = ["source", "is_active", "survey"]
    list_select_related = ["survey"]
    search_fields = ["name", "source_value"]
    fields = ["survey", "name", "source", "source_value", "is_active", "link"]
    readonly_fields = ["link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PublicLink]:
        return super().get_queryset(request).annotate(n_answers=Count("responses"))

    @admin.display(description=gettext_lazy("answers"), ordering="n_answers")
    def answers(self, obj: PublicLink) -> int:
        return obj.n_answers

    @admin.display(description=gettext_lazy("link"))
    def link(self, obj: PublicLink) -> str:
        if not obj.pk:
            return _("The URL and QR code appear once the link is saved.")
        return format_html("<code>{}</code><br>{}", links.link_url(obj), self.downloads(obj))

    @admin.display(description=gettext_lazy("QR code and poster"))
    def downloads(self, obj: PublicLink) -> str:
        return format_html(
            '<a href="{}">SVG</a> · <a href="{}">PNG</a> · <a href="{}">{}</a>',
            reverse("admin:surveys_publiclink_qr_svg", args=[obj.pk]),
            reverse("admin:surveys_publiclink_qr_png", args=[obj.pk]),
            reverse("admin:surveys_publiclink_poster", args=[obj.pk]),
            _("A4 poster"),
        )

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/qr.svg", wrap(self.qr_svg_view), name="surveys_publiclink_qr_svg"),
            path("<int:pk>/qr.png", wrap(self.qr_png_view), name="surveys_publiclink_qr_png"),
            path("<int:pk>/poster/", wrap(self.poster_view), name="surveys_publiclink_poster"),
            *super().get_urls(),
        ]

    def _link(self, request: HttpRequest, pk: int) -> PublicLink:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(PublicLink.objects.select_related("survey"), pk=pk)

    def _download(self, body: bytes, content_type: str, filename: str) -> HttpResponse:
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    def qr_svg_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        link = self._link(request, pk)
        body = links.qr_svg(links.link_url(link), title=f"{link.survey.title} {link.name}")
        if request.GET.get("inline"):
            response = HttpResponse(body, content_type="image/svg+xml")
            response["Cache-Control"] = "no-store"
            return response
        return self._download(body, "image/svg+xml", f"{link.survey.slug}-link-{link.pk}-qr.svg")

    def qr_png_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        link = self._link(request, pk)
        body = links.qr_png(links.link_url(link))
        return self._download(body, "image/png", f"{link.survey.slug}-link-{link.pk}-qr.png")

    def poster_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        link = self._link(request, pk)
        return render(
            request,
            "surveys/admin/poster.html",
            {
                "link": link,
                "survey": link.survey,
                "url": links.link_url(link),
                "qr": reverse("admin:surveys_publiclink_qr_svg", args=[link.pk]) + "?inline=1",
            },
        )


class WidgetForm(WriteOnlySecretsForm):
    """The signing secret is made by the app and shown once (on creation or when renewed)."""

    regenerate = "secret"

    allowed_origins = forms.CharField(
        label=gettext_lazy("allowed origins"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Sites that may show the widget, e.g. https://shop.example.jp (one a line)."
        ),
    )

    class Meta:
        model = Widget
        fields = ["survey", "name", "allowed_origins", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["allowed_origins"] = "\n".join(self.instance.allowed_origins or [])

    def new_secret_value(self) -> str:
        return new_widget_secret()

    def clean_allowed_origins(self) -> list[str]:
        lines = self.cleaned_data["allowed_origins"].split()
        return [line.strip().rstrip("/") for line in lines if line.strip()]


@admin.register(Widget)
class WidgetAdmin(ShowSecretOnceAdmin, admin.ModelAdmin):
    form = WidgetForm
    list_display = ["name", "survey", "origins", "is_active"]
    list_filter = ["is_active", "survey"]
    list_select_related = ["survey"]
    readonly_fields = ["embed"]
    fields = ["survey", "name", "allowed_origins", "is_active", "embed"]

    @admin.display(description=gettext_lazy("allowed origins"))
    def origins(self, obj: Widget) -> str:
        return ", ".join(obj.allowed_origins or [])

    @admin.display(description=gettext_lazy("embed code"))
    def embed(self, obj: Widget) -> str:
        if not obj.pk:
            return _("The embed code appears once the widget is saved.")
        from django.conf import settings
        from django.templatetags.static import static

        from surveys import tokens

        script = settings.SITE_URL + static("surveys/widget.js")
        token = tokens.make_token(obj.nonce, tokens.WIDGET)
        snippet = (
            f'<script src="{script}" async data-widget="{token}"'
            ' data-customer="CUSTOMER_ID" data-ts="UNIX_SECONDS" data-sig="SIGNATURE"></script>'
        )
        return format_html(
            "<pre>{}</pre><p>{}</p><p>{}: {}</p>",
            snippet,
            _(
                "Sign on your server: SIGNATURE = hex HMAC-SHA256(secret, "
                "“CUSTOMER_ID.UNIX_SECONDS”). Leave the three data-customer, data-ts and "
                "data-sig attributes out for anonymous answers."
            ),
            _("Signing secret"),
            encryption.state_label(obj.secret),
        )
