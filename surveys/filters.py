"""The one set of analysis filters, shared by every page that shows figures: the engagement
dashboard, the comparison, the crosstab, the topic list, the reports and their exports.

Wave, survey, period (Asia/Tokyo days), store (the customer attribute ``store``), store or
campaign link (``link``: the public link the answer came through), touchpoint (the channel of
the experience), NPS band (promoter / passive / detractor), segment, the survey's allow-listed
URL parameters (``param_store=shibuya``: the hidden fields stored on the response) and the
behaviour window (``window``, days). The query-string names are the same on every page, so one
URL carries the same selection from page to page and a saved view is just a page and its query
string.

``responses`` applies the filters to survey responses; ``voc.filters.feedback_items`` applies
the same filters to feedback items (what the topic figures count).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.customers.models import Customer, Touchpoint
from engagement.customers.selectors.outcomes import DEFAULT_WINDOW_DAYS
from surveys.links import PARAMETER_KEY, PublicLink, UrlParameter
from surveys.models import NpsCategory, Response, ResponseStatus, Survey, Wave

TOKYO = ZoneInfo("Asia/Tokyo")
STORE_ATTRIBUTE = "store"
MAX_CHOICES = 200
MAX_PARAMETERS = 20  # URL parameters offered as filters (the allow-lists' keys)
PARAM_PREFIX = "param_"
MAX_WINDOW_DAYS = 730
FILTER_NAMES = (
    "wave",
    "survey",
    "date_from",
    "date_to",
    "store",
    "link",
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
    link_id: int | None = None
    touchpoint: str = ""
    nps_band: str = ""
    segment: str = ""
    # Allow-listed URL parameters the response was opened with: ((key, value), …), sorted.
    params: tuple[tuple[str, str], ...] = field(default=())
    window_days: int = DEFAULT_WINDOW_DAYS

    def as_query(self, prefix: str = "") -> dict[str, str]:
        values = {
            "wave": str(self.wave_id or ""),
            "survey": str(self.survey_id or ""),
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "store": self.store,
            "link": str(self.link_id or ""),
            "touchpoint": self.touchpoint,
            "nps_band": self.nps_band,
            "segment": self.segment,
            **{f"{PARAM_PREFIX}{key}": value for key, value in self.params},
        }
        if self.window_days != DEFAULT_WINDOW_DAYS:
            values["window"] = str(self.window_days)
        return {f"{prefix}{key}": value for key, value in values.items() if value}

    def merged(self, other: AnalysisFilters) -> AnalysisFilters:
        """These filters with every value ``other`` sets (a comparison side over the common
        filters)."""
        changes = {
            name: getattr(other, name)
            for name in self.__dataclass_fields__
            if getattr(other, name) not in (None, "", ())
            and not (name == "window_days" and other.window_days == DEFAULT_WINDOW_DAYS)
        }
        return replace(self, **changes)

    @classmethod
    def from_query(cls, query: str) -> AnalysisFilters:
        """The filters of a stored query string (a report's scope), read leniently: a value that
        no longer parses is left out, the others are kept (no check against today's choices,
        so a stored scope means tomorrow what it meant when it was stored)."""
        data = dict(parse_qsl(query or "", keep_blank_values=False))

        def number(name: str) -> int | None:
            text = data.get(name, "")
            return int(text) if text.isdigit() and len(text) < 12 else None

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(data.get(name, ""))
            except ValueError:
                return None

        params = tuple(
            sorted(
                (key.removeprefix(PARAM_PREFIX), value[:200])
                for key, value in data.items()
                if key.startswith(PARAM_PREFIX) and PARAMETER_KEY.match(key[len(PARAM_PREFIX) :])
            )
        )
        window = number("window")
        return cls(
            wave_id=number("wave"),
            survey_id=number("survey"),
            date_from=day("date_from"),
            date_to=day("date_to"),
            store=data.get("store", "")[:100],
            link_id=number("link"),
            touchpoint=data.get("touchpoint", "")
            if data.get("touchpoint") in Touchpoint.values
            else "",
            nps_band=data.get("nps_band", "") if data.get("nps_band") in NpsCategory.values else "",
            segment=data.get("segment", "")[:50],
            params=params,
            window_days=window if window and window <= MAX_WINDOW_DAYS else DEFAULT_WINDOW_DAYS,
        )

    def query_string(self) -> str:
        return urlencode(sorted(self.as_query().items()))

    @property
    def needs_responses(self) -> bool:
        """Whether a dimension is set that the dashboard's daily summaries do not carry (store,
        link, URL parameters, NPS band): its figures are then read from the responses."""
        return bool(self.store or self.link_id or self.params or self.nps_band)

    @property
    def survey_only(self) -> bool:
        """Whether a dimension is set that only survey answers have (so feedback from support,
        reviews or SNS drops out)."""
        return bool(self.wave_id or self.survey_id or self.link_id or self.params)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), TOKYO)


def narrow(qs: QuerySet, filters: AnalysisFilters, *, at: str, response: str = "") -> QuerySet:
    """``qs`` narrowed by the filters. ``at`` names the time field; ``response`` is the path
    from ``qs``'s model to the survey response ("" for responses, "response__" for feedback
    items); the customer, touchpoint and NPS band are read on ``qs``'s own model."""
    if filters.date_from:
        qs = qs.filter(**{f"{at}__gte": _day_start(filters.date_from)})
    if filters.date_to:
        qs = qs.filter(**{f"{at}__lt": _day_start(filters.date_to + timedelta(days=1))})
    if filters.wave_id:
        qs = qs.filter(**{f"{response}survey__wave_id": filters.wave_id})
    if filters.survey_id:
        qs = qs.filter(**{f"{response}survey_id": filters.survey_id})
    if filters.link_id:
        qs = qs.filter(**{f"{response}public_link_id": filters.link_id})
    for key, value in filters.params:
        qs = qs.filter(parameter_is(f"{response}url_params", key, value))
    if filters.store:
        qs = qs.filter(**{f"customer__attributes__{STORE_ATTRIBUTE}": filters.store})
    if filters.touchpoint:
        qs = qs.filter(touchpoint=filters.touchpoint)
    if filters.nps_band:
        qs = qs.filter(nps_category=filters.nps_band)
    if filters.segment:
        qs = qs.filter(customer__segment=filters.segment)
    return qs


def parameter_is(column: str, key: str, value: str) -> Q:
    """``column[key] == value``: on PostgreSQL a containment test the GIN index on
    ``surveys_response.url_params`` serves; elsewhere the key's text."""
    if not PARAMETER_KEY.match(key):
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        return Q(**{f"{column}__contains": {key: value}})
    return Q(**{f"{column}__{key}": value})


def responses(filters: AnalysisFilters, *, user: Any = None) -> QuerySet[Response]:
    """Completed responses (the ones ``user`` may see, when given), narrowed by the filters."""
    qs = Response.objects.all() if user is None else Response.objects.visible_to(user)
    qs = qs.filter(status=ResponseStatus.COMPLETED, submitted_at__isnull=False)
    return narrow(qs, filters, at="submitted_at").order_by()


def parameter_keys() -> list[str]:
    """The URL parameters offered as filters: every survey's allow-listed keys."""
    return list(
        UrlParameter.objects.order_by("key")
        .values_list("key", flat=True)
        .distinct()[:MAX_PARAMETERS]
    )


def distinct_key_values(queryset: QuerySet, column: str, key: str, *, limit: int) -> list[str]:
    """The distinct, non-blank texts of ``key`` in the JSON ``column`` of ``queryset``, sorted
    (at most ``limit``): the choices of a store or URL-parameter filter."""
    values = (
        queryset.annotate(_value=KeyTextTransform(key, column))
        .exclude(_value__isnull=True)
        .values_list("_value", flat=True)
        .distinct()
        .order_by("_value")[:limit]
    )
    return [value for value in values if value]


def link_choices(*, limit: int) -> list[tuple[int, str]]:
    """Store and campaign links as filter choices: 「渋谷店（アンケート名）」."""
    links = PublicLink.objects.select_related("survey").order_by("survey__title", "name", "id")
    return [(link.id, f"{link.name}（{link.survey.title}）") for link in links[:limit]]


def filter_choices(*, segments: list[str] | None = None) -> dict[str, list[tuple[Any, str]]]:
    """The values a filter can take (at most 200 of each). ``segments``: the known segments,
    when the caller has them already (the dashboard's last summary rebuild lists them)."""
    stores = distinct_key_values(
        Customer.objects.all(), "attributes", STORE_ATTRIBUTE, limit=MAX_CHOICES
    )
    if segments is None:
        segments = list(
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
        "stores": [(s, s) for s in stores],
        "links": link_choices(limit=MAX_CHOICES),
        "segments": [(s, s) for s in segments],
        "touchpoints": [(value, str(label)) for value, label in Touchpoint.choices],
        "nps_bands": [(value, str(label)) for value, label in NpsCategory.choices],
        "parameters": [(key, key) for key in parameter_keys()],
    }


class AnalysisFilterForm(forms.Form):
    """The shared filters (the same filter bar on every page); with a ``prefix`` (``a`` / ``b``)
    one side of a comparison; ``window=True`` adds the behaviour window (pages that link
    answers to behaviour afterwards: the dashboard, key drivers, the topic list, reports);
    ``period=False`` leaves the dates out (a report's request form has its own period)."""

    wave = forms.TypedChoiceField(label=gettext_lazy("Wave"), required=False, coerce=int)
    survey = forms.TypedChoiceField(label=gettext_lazy("Survey"), required=False, coerce=int)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    store = forms.ChoiceField(label=gettext_lazy("Store"), required=False)
    link = forms.TypedChoiceField(
        label=gettext_lazy("Store or campaign link"), required=False, coerce=int
    )
    touchpoint = forms.ChoiceField(label=gettext_lazy("Touchpoint"), required=False)
    nps_band = forms.ChoiceField(label=gettext_lazy("NPS band"), required=False)
    segment = forms.ChoiceField(label=gettext_lazy("Segment"), required=False)

    def __init__(
        self,
        *args: Any,
        choices: dict[str, list[tuple[Any, str]]],
        window: bool = False,
        period: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", None)
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["wave"].choices = everything + choices["waves"]
        self.fields["survey"].choices = everything + choices["surveys"]
        self.fields["store"].choices = everything + choices["stores"]
        self.fields["link"].choices = everything + choices.get("links", [])
        self.fields["touchpoint"].choices = everything + choices["touchpoints"]
        self.fields["nps_band"].choices = everything + choices["nps_bands"]
        self.fields["segment"].choices = everything + choices["segments"]
        self.parameter_keys = [key for key, _label in choices.get("parameters", [])]
        for key in self.parameter_keys:
            self.fields[f"{PARAM_PREFIX}{key}"] = forms.CharField(
                label=_("URL parameter: %(name)s") % {"name": key},
                required=False,
                max_length=200,
            )
        if window:
            self.fields["window"] = forms.IntegerField(
                label=gettext_lazy("Behaviour window (days)"),
                required=False,
                min_value=1,
                max_value=MAX_WINDOW_DAYS,
            )
        if period:
            self.fields["date_from"].widget.input_type = "date"
            self.fields["date_to"].widget.input_type = "date"
        else:  # the page has its own period (a report's)
            del self.fields["date_from"], self.fields["date_to"]
        for form_field in self.fields.values():
            form_field.widget.attrs.setdefault("class", "dashboard-filter")

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
        params = tuple(
            sorted(
                (key, value)
                for key in self.parameter_keys
                if (value := (data.get(f"{PARAM_PREFIX}{key}") or "").strip())
            )
        )
        return AnalysisFilters(
            wave_id=data.get("wave") or None,
            survey_id=data.get("survey") or None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            store=data.get("store") or "",
            link_id=data.get("link") or None,
            touchpoint=data.get("touchpoint") or "",
            nps_band=data.get("nps_band") or "",
            segment=data.get("segment") or "",
            params=params,
            window_days=data.get("window") or DEFAULT_WINDOW_DAYS,
        )


def describe(filters: AnalysisFilters) -> list[tuple[str, str]]:
    """(label, value) of each filter set beyond the period, segment, touchpoint and survey
    (which pages show on their own): wave, store, link, NPS band, URL parameters."""
    found: list[tuple[str, str]] = []
    if filters.wave_id:
        name = Wave.objects.filter(id=filters.wave_id).values_list("name", flat=True).first()
        found.append((_("Wave"), name or f"#{filters.wave_id}"))
    if filters.store:
        found.append((_("Store"), filters.store))
    if filters.link_id:
        name = PublicLink.objects.filter(id=filters.link_id).values_list("name", flat=True).first()
        found.append((_("Store or campaign link"), name or f"#{filters.link_id}"))
    if filters.nps_band:
        found.append((_("NPS band"), str(NpsCategory(filters.nps_band).label)))
    for key, value in filters.params:
        found.append((_("URL parameter: %(name)s") % {"name": key}, value))
    return found
