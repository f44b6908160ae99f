"""The analysis filters shared by the comparison, the crosstab and saved views.

Wave, survey, period (Asia/Tokyo days), store (the customer attribute ``store``), touchpoint
(the channel of the experience), NPS band (promoter / passive / detractor) and segment. The
query-string names are the dashboard's (``wave``, ``survey``, ``date_from``, ``date_to``,
``segment``, ``touchpoint``) plus ``store`` and ``nps_band``, so one URL carries the same
selection from page to page and a saved view is just a page and its query string.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.customers.models import Customer, Touchpoint
from surveys.models import NpsCategory, Response, ResponseStatus, Survey, Wave
from voc.models import FeedbackItem

TOKYO = ZoneInfo("Asia/Tokyo")
STORE_ATTRIBUTE = "store"
MAX_CHOICES = 200
FILTER_NAMES = (
    "wave",
    "survey",
    "date_from",
    "date_to",
    "store",
    "touchpoint",
    "nps_band",
    "segment",
)


@dataclass(frozen=True)
class AnalysisFilters:
    wave_id: int | None = None
    survey_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    store: str = ""
    touchpoint: str = ""
    nps_band: str = ""
    segment: str = ""

    def as_query(self, prefix: str = "") -> dict[str, str]:
        values = {
            "wave": str(self.wave_id or ""),
            "survey": str(self.survey_id or ""),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "store": self.store,
            "touchpoint": self.touchpoint,
            "nps_band": self.nps_band,
            "segment": self.segment,
        }
        return {f"{prefix}{key}": value for key, value in values.items() if value}

    def merged(self, other: AnalysisFilters) -> AnalysisFilters:
        """These filters with every value ``other`` sets (a comparison side over the common
        filters)."""
        changes = {
            name: getattr(other, name)
            for name in self.__dataclass_fields__
            if getattr(other, name) not in (None, "")
        }
        return replace(self, **changes)


def responses(filters: AnalysisFilters, *, user: Any) -> QuerySet[Response]:
    """Completed responses the user may see, narrowed by the filters."""
    qs = Response.objects.visible_to(user).filter(
        status=ResponseStatus.COMPLETED, submitted_at__isnull=False
    )
    if filters.wave_id:
        qs = qs.filter(survey__wave_id=filters.wave_id)
    if filters.survey_id:
        qs = qs.filter(survey_id=filters.survey_id)
    if filters.date_from:
        qs = qs.filter(submitted_at__gte=datetime.combine(filters.date_from, time(), TOKYO))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), TOKYO)
        qs = qs.filter(submitted_at__lt=end)
    if filters.store:
        qs = qs.filter(**{f"customer__attributes__{STORE_ATTRIBUTE}": filters.store})
    if filters.touchpoint:
        qs = qs.filter(touchpoint=filters.touchpoint)
    if filters.nps_band:
        qs = qs.filter(nps_category=filters.nps_band)
    if filters.segment:
        qs = qs.filter(customer__segment=filters.segment)
    return qs.order_by()


def items(filters: AnalysisFilters, *, user: Any) -> QuerySet[FeedbackItem]:
    """Feedback items the user may see on the responses the filters select."""
    return (
        FeedbackItem.objects.visible_to(user)
        .filter(response__in=responses(filters, user=user).values("pk"))
        .order_by()
    )


def filter_choices() -> dict[str, list[tuple[Any, str]]]:
    """The values a filter can take (at most 200 of each)."""
    stores = (
        Customer.objects.annotate(_store=KeyTextTransform(STORE_ATTRIBUTE, "attributes"))
        .exclude(_store__isnull=True)
        .values_list("_store", flat=True)
        .distinct()
        .order_by("_store")[:MAX_CHOICES]
    )
    segments = (
        Customer.objects.exclude(segment="")
        .values_list("segment", flat=True)
        .distinct()
        .order_by("segment")[:MAX_CHOICES]
    )
    return {
        "waves": [(w.id, w.name) for w in Wave.objects.order_by("starts_on", "id")[:MAX_CHOICES]],
        "surveys": [
            (s.id, s.title) for s in Survey.objects.order_by("-created_at", "-id")[:MAX_CHOICES]
        ],
        "stores": [(s, s) for s in stores if s],
        "segments": [(s, s) for s in segments],
        "touchpoints": [(value, str(label)) for value, label in Touchpoint.choices],
        "nps_bands": [(value, str(label)) for value, label in NpsCategory.choices],
    }


class AnalysisFilterForm(forms.Form):
    """The shared filters; with a ``prefix`` (``a`` / ``b``) one side of a comparison."""

    wave = forms.TypedChoiceField(label=gettext_lazy("Wave"), required=False, coerce=int)
    survey = forms.TypedChoiceField(label=gettext_lazy("Survey"), required=False, coerce=int)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    store = forms.ChoiceField(label=gettext_lazy("Store"), required=False)
    touchpoint = forms.ChoiceField(label=gettext_lazy("Touchpoint"), required=False)
    nps_band = forms.ChoiceField(label=gettext_lazy("NPS band"), required=False)
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)

    def __init__(
        self, *args: Any, choices: dict[str, list[tuple[Any, str]]], **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", None)
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["wave"].choices = everything + choices["waves"]
        self.fields["survey"].choices = everything + choices["surveys"]
        self.fields["store"].choices = everything + choices["stores"]
        self.fields["touchpoint"].choices = everything + choices["touchpoints"]
        self.fields["nps_band"].choices = everything + choices["nps_bands"]
        self.fields["segment"].choices = everything + choices["segments"]
        self.fields["date_from"].widget.input_type = "date"
        self.fields["date_to"].widget.input_type = "date"
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "dashboard-filter")

    def add_prefix(self, field_name: str) -> str:
        # "a_wave" rather than Django's "a-wave": names that read well in a shared URL.
        return f"{self.prefix}_{field_name}" if self.prefix else field_name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filters(self) -> AnalysisFilters:
        if not self.is_bound or not self.is_valid():
            return AnalysisFilters()
        data = self.cleaned_data
        return AnalysisFilters(
            wave_id=data.get("wave") or None,
            survey_id=data.get("survey") or None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            store=data.get("store") or "",
            touchpoint=data.get("touchpoint") or "",
            nps_band=data.get("nps_band") or "",
            segment=data.get("segment") or "",
        )
