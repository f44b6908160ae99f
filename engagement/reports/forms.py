"""Forms of the report pages (validation only; the services do the work)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.reports.models import ActionStatus, ProductArea
from surveys.filters import AnalysisFilters


class ReportRequestForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    product_area = forms.ModelChoiceField(
        label=_("Product area"),
        queryset=ProductArea.objects.order_by("name"),
        required=False,
        empty_label=_("All areas"),
    )
    # Segment, touchpoint, survey and the other shared filters: ``surveys.filters``'
    # AnalysisFilterForm, shown beside this form (the same filter bar as the dashboard's).

    @classmethod
    def with_defaults(cls, filters: AnalysisFilters | None = None) -> ReportRequestForm:
        """The last 30 days, or the period the shared filters carry (a link from the
        dashboard or a saved view)."""
        today = timezone.localdate()
        end = (filters.date_to if filters else None) or today
        start = (filters.date_from if filters else None) or end - timedelta(days=29)
        return cls(initial={"period_start": start, "period_end": end})


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
