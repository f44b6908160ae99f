"""Forms of the report pages (validation only; the services do the work)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Touchpoint
from engagement.reports.models import ActionStatus, ProductArea
from surveys.models import Survey


class ReportRequestForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    product_area = forms.ModelChoiceField(
        label=_("Product area"),
        queryset=ProductArea.objects.order_by("name"),
        required=False,
        empty_label=_("All areas"),
    )
    segment = forms.CharField(label=_("Segment"), max_length=50, required=False)
    touchpoint = forms.ChoiceField(
        label=_("Touchpoint"),
        choices=[("", _("All touchpoints")), *Touchpoint.choices],
        required=False,
    )
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.order_by("-created_at", "-id"),
        required=False,
        empty_label=_("All surveys"),
    )

    @classmethod
    def with_defaults(cls) -> ReportRequestForm:
        today = timezone.localdate()
        return cls(initial={"period_start": today - timedelta(days=29), "period_end": today})


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ActionStatus.choices)
    shipped_on = forms.DateField(
        label=_("Ship date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class HeardYouForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the customers"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        initial=_(
            "Thank you for your valuable feedback. Based on the opinions we received from you, "
            "we have made the following improvement. We will continue to listen to your voice."
        ),
    )
