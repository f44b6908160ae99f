"""The four values and the four aspects of engagement (DOMAIN.md section 2), where they need
survey and VoC data: the dashboard composes them on top of the core's stored CLV and CRV.

Why here: predicted CLV and CRV need only purchases and referrals, so the core
(``engagement.customers.valuation``) computes them; CIV needs the sentiment of what customers
wrote (``voc``), and the aspects need the survey indices (``surveys``), which the core may not
import — so they live in this composing app. CKV needs improvement actions and is computed by
``engagement.reports.knowledge``; all four are stored in ``CustomerValue`` and read here.

**CIV** (influence, points) = (activity points + reach points) × sentiment factor:

- activity points: 5 per review/UGC, 3 per SNS post about us, 2 per share, 2 per event or
  community participation, 1 per SNS like or comment;
- reach points: log10(1 + reach) per record whose ``attributes.reach`` (people reached) is known;
- sentiment factor: 1 + (positive − negative) ÷ written items, over the customer's reviews and
  SNS posts in VoC (0 when all were negative, 2 when all were positive; 1 when none were
  analysed).

**Four aspects**, per customer and per segment: cognitive — the awareness index (0–100,
``surveys.scoring``); emotional — the empathy and attachment indices; behavioural — repeat
purchases, spend, predicted CLV, referrals; social — SNS posts, shares, likes/comments, events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Log
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour, Customer, CustomerValue
from engagement.customers.valuation import merge_by_customer, store_value_parts
from engagement.dashboard.panels import Panel, category_label, rnd
from surveys import figures

INFLUENCE_POINTS = {
    BuiltinBehaviour.REVIEW: 5,
    BuiltinBehaviour.SNS_POST: 3,
    BuiltinBehaviour.SHARE: 2,
    BuiltinBehaviour.EVENT: 2,
    BuiltinBehaviour.SNS_ENGAGEMENT: 1,
}
SOCIAL_KINDS = (
    BuiltinBehaviour.SNS_POST,
    BuiltinBehaviour.SHARE,
    BuiltinBehaviour.SNS_ENGAGEMENT,
    BuiltinBehaviour.EVENT,
)
NUMBER = r"^[0-9]+(\.[0-9]+)?$"
CATEGORIES = ("promoter", "passive", "detractor")


def _influence_behaviour() -> QuerySet:
    kinds = list(INFLUENCE_POINTS)
    reach = Q(kind_id__in=kinds) & Q(attributes__reach__isnull=False)
    counted = BehaviourRecord.objects.filter(kind_id__in=kinds).annotate(
        reach_text=KT("attributes__reach")
    )
    with_reach = Q(reach_text__regex=NUMBER) & reach
    return (
        counted.annotate(
            reach_value=Cast("reach_text", FloatField()),
        )
        .values("customer_id")
        .annotate(
            **{f"n_{kind.value}": Count("id", filter=Q(kind_id=kind)) for kind in INFLUENCE_POINTS},
            reach=Sum("reach_value", filter=with_reach),
            reach_points=Sum(Log(10, F("reach_value") + 1), filter=with_reach),
        )
        .order_by("customer_id")
    )


def _written() -> QuerySet:
    from voc.models import Channel, FeedbackItem, Sentiment

    return (
        FeedbackItem.objects.filter(
            customer__isnull=False, channel__in=[Channel.REVIEW, Channel.SNS]
        )
        .exclude(sentiment="")
        .values("customer_id")
        .annotate(
            written=Count("id"),
            positive=Count("id", filter=Q(sentiment=Sentiment.POSITIVE)),
            negative=Count("id", filter=Q(sentiment=Sentiment.NEGATIVE)),
        )
        .order_by("customer_id")
    )


def influence_parts(row: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """CIV and its parts from one merged row (see the module doc)."""
    counts = {kind.value: int(row.get(f"n_{kind.value}") or 0) for kind in INFLUENCE_POINTS}
    activity = sum(INFLUENCE_POINTS[kind] * counts[kind.value] for kind in INFLUENCE_POINTS)
    reach_points = float(row.get("reach_points") or 0)
    written = int(row.get("written") or 0)
    positive, negative = int(row.get("positive") or 0), int(row.get("negative") or 0)
    factor = 1 + (positive - negative) / written if written else 1.0
    value = (activity + reach_points) * factor
    return value, {
        "counts": counts,
        "reach": int(row.get("reach") or 0),
        "activity_points": activity,
        "reach_points": round(reach_points, 2),
        "written": written,
        "positive": positive,
        "negative": negative,
        "sentiment_factor": round(factor, 3),
    }


def refresh_influence_values() -> int:
    """Store every customer's CIV and its parts (two grouped queries, merged by customer)."""

    def rows() -> Iterator[tuple[int, float, dict[str, Any]]]:
        for row in merge_by_customer(
            _influence_behaviour().iterator(chunk_size=5000), _written().iterator(chunk_size=5000)
        ):
            value, parts = influence_parts(row)
            if value or parts["written"]:
                yield row["customer_id"], value, parts

    return store_value_parts(value_field="civ", rows=rows())


ANSWER_FIELDS = ["nps_category", "awareness_index", "empathy_index", "attachment_index"]


def refresh_latest_answers() -> int:
    """Store each customer's latest completed answer (NPS category and the three indices) in
    ``CustomerValue``: completed answers streamed in customer order, the first of each kept."""
    from django.db import transaction
    from django.utils import timezone

    from engagement.customers.valuation import WRITE_CHUNK, upsert_values
    from surveys.models import Response, ResponseStatus

    now = timezone.now()
    answers = (
        Response.objects.filter(
            customer__isnull=False, status=ResponseStatus.COMPLETED, submitted_at__isnull=False
        )
        .order_by("customer_id", "-submitted_at", "-id")
        .values_list("customer_id", *ANSWER_FIELDS)
    )
    count, chunk, previous = 0, [], None
    with transaction.atomic():
        for customer_id, category, awareness, empathy, attachment in answers.iterator(
            chunk_size=WRITE_CHUNK
        ):
            if customer_id == previous:
                continue
            previous = customer_id
            chunk.append(
                {
                    "customer_id": customer_id,
                    "nps_category": category,
                    "awareness_index": awareness,
                    "empathy_index": empathy,
                    "attachment_index": attachment,
                    "answered_at": now,
                }
            )
            count += 1
            if len(chunk) >= WRITE_CHUNK:
                upsert_values(chunk, [*ANSWER_FIELDS, "answered_at"])
                chunk = []
        upsert_values(chunk, [*ANSWER_FIELDS, "answered_at"])
        CustomerValue.objects.filter(answered_at__isnull=False).exclude(answered_at=now).update(
            nps_category="",
            awareness_index=None,
            empathy_index=None,
            attachment_index=None,
            answered_at=None,
        )
    return count


# --- Four aspects -------------------------------------------------------------------------------


@dataclass
class Profile:
    """One customer's four aspects and four values (stored values may be None: not computed)."""

    responses: int
    awareness: float | None
    empathy: float | None
    attachment: float | None
    value: CustomerValue | None
    social: dict[str, int]


def customer_profile(*, customer: Customer) -> Profile:
    """The four aspects of one customer (three queries): the latest answer's indices, the stored
    values, and the counts of social behaviour."""
    from surveys.models import Response, ResponseStatus

    answers = Response.objects.filter(
        customer=customer, status=ResponseStatus.COMPLETED, submitted_at__isnull=False
    ).order_by("-submitted_at", "-id")
    latest = answers.values("awareness_index", "empathy_index", "attachment_index").first()
    social = dict(
        BehaviourRecord.objects.filter(customer=customer, kind_id__in=SOCIAL_KINDS)
        .values("kind_id")
        .annotate(n=Count("id"))
        .order_by("kind_id")
        .values_list("kind_id", "n")
    )
    return Profile(
        responses=answers.count(),
        awareness=(latest or {}).get("awareness_index"),
        empathy=(latest or {}).get("empathy_index"),
        attachment=(latest or {}).get("attachment_index"),
        value=CustomerValue.objects.filter(customer=customer).first(),
        social={kind.value: social.get(kind.value, 0) for kind in SOCIAL_KINDS},
    )


VALUE_MEASURES = {
    "customers": Count("customer_id"),
    "clv": Avg("clv"),
    "p_alive": Avg("p_alive"),
    "repeat": Avg("repeat_purchases"),
    "spend": Avg("past_spend"),
    "referrals": Sum("referrals"),
    "crv": Avg("crv"),
    "civ": Avg("civ"),
    "ckv": Avg("ckv"),
    "social": Count(
        "customer_id",
        filter=Q(civ_parts__counts__sns_post__gt=0)
        | Q(civ_parts__counts__share__gt=0)
        | Q(civ_parts__counts__sns_engagement__gt=0)
        | Q(civ_parts__counts__event__gt=0),
    ),
}


def _grouped(values: QuerySet, key: str) -> list[dict[str, Any]]:
    return list(
        values.values(key)
        .annotate(
            answers=Count("customer_id", filter=Q(answered_at__isnull=False)),
            awareness=Avg("awareness_index"),
            empathy=Avg("empathy_index"),
            attachment=Avg("attachment_index"),
            **VALUE_MEASURES,
        )
        .order_by(key)
    )


def segment_comparison(*, segment: str = "") -> list[dict[str, Any]]:
    """Per segment (all, or the one given): the means of the latest answer's awareness, empathy
    and attachment indices and of the stored values (one grouped query)."""
    values = CustomerValue.objects.all()
    if segment:
        values = values.filter(customer__segment=segment)
    return [
        {**row, "segment": row["customer__segment"]}
        for row in _grouped(values, "customer__segment")
    ]


def values_by_nps_category(*, segment: str = "") -> list[dict[str, Any]]:
    """The stored values by the NPS category of the customer's latest answer (one query)."""
    values = CustomerValue.objects.exclude(nps_category="")
    if segment:
        values = values.filter(customer__segment=segment)
    found = {row["nps_category"]: row for row in _grouped(values, "nps_category")}
    return [{**found[c], "category": c} for c in CATEGORIES if c in found]


def _share(part: int | None, whole: int | None) -> float | None:
    return figures.share(part, whole)


def _yen(value: float | None) -> float | None:
    return None if value is None else round(value)


def _value_cells(row: dict[str, Any]) -> list[Any]:
    return [
        row.get("customers"),
        _yen(row.get("spend")),
        _yen(row.get("clv")),
        rnd(row["p_alive"] * 100) if row.get("p_alive") is not None else None,
        row.get("referrals"),
        _yen(row.get("crv")),
        rnd(row.get("civ")),
        rnd(row.get("ckv")),
    ]


VALUE_COLUMNS = (
    gettext_lazy("Customers"),
    gettext_lazy("Spend to date (yen, mean)"),
    gettext_lazy("Predicted CLV, 12 months (yen, mean)"),
    gettext_lazy("P(alive) (%, mean)"),
    gettext_lazy("Referrals"),
    gettext_lazy("CRV (yen, mean)"),
    gettext_lazy("CIV (points, mean)"),
    gettext_lazy("CKV (points, mean)"),
)


def segment_panel(*, segment: str = "") -> Panel:
    rows = []
    for row in segment_comparison(segment=segment):
        rows.append(
            [
                row["segment"] or _("(no segment)"),
                rnd(row.get("awareness")),
                rnd(row.get("empathy")),
                rnd(row.get("attachment")),
                rnd(row.get("repeat"), 2),
                _share(row.get("social"), row.get("customers")),
                *_value_cells(row),
            ]
        )
    return Panel(
        name="aspects_segment",
        title=_("Four aspects of engagement and four values, by segment"),
        description=_(
            "Cognitive: awareness index; emotional: empathy and attachment indices (means of "
            "the customers' latest answers, 0–100). Behavioural: repeat purchases, spend, "
            "predicted CLV, referrals. Social: share of customers with SNS posts, shares, likes "
            "or events. Values as last refreshed."
        ),
        columns=[
            str(_("Segment")),
            str(_("Awareness index")),
            str(_("Empathy index")),
            str(_("Attachment index")),
            str(_("Repeat purchases (mean)")),
            str(_("With social activity (%)")),
            *[str(c) for c in VALUE_COLUMNS],
        ],
        rows=rows,
        chart=_chart(
            [row[0] for row in rows],
            {
                _("Awareness index"): [row[1] for row in rows],
                _("Empathy index"): [row[2] for row in rows],
                _("Attachment index"): [row[3] for row in rows],
                _("With social activity (%)"): [row[5] for row in rows],
            },
        ),
    )


def nps_value_panel(*, segment: str = "") -> Panel:
    found = values_by_nps_category(segment=segment)
    rows = [[category_label(row["category"]), *_value_cells(row)] for row in found]
    return Panel(
        name="values_nps",
        title=_("Customer values by NPS category"),
        description=_(
            "Do promoters bring more? The four values of customers by the NPS category of their "
            "latest answer: predicted CLV over 12 months (BG/NBD + Gamma-Gamma, discounted), CRV "
            "= predicted CLV of the customers they referred, CIV and CKV in points."
        ),
        columns=[str(_("NPS category")), *[str(c) for c in VALUE_COLUMNS]],
        rows=rows,
        chart=_chart(
            [row[0] for row in rows],
            {
                _("Predicted CLV, 12 months (yen, mean)"): [row[3] for row in rows],
                _("CRV (yen, mean)"): [row[6] for row in rows],
            },
            "yen",
        ),
    )


COLOURS = ("#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00")


def _chart(
    labels: list[str], series: dict[str, list[Any]], number_format: str = "decimal1"
) -> dict[str, Any] | None:
    """A bar chart; ``number_format`` names the values' format for its axis and tooltips
    (``dashboard.js``: count, yen, percent, decimal1, decimal)."""
    if not labels:
        return None
    return {
        "type": "bar",
        "numberFormat": number_format,
        "data": {
            "labels": labels,
            "datasets": [
                {"label": str(name), "data": data, "backgroundColor": COLOURS[i % len(COLOURS)]}
                for i, (name, data) in enumerate(series.items())
            ],
        },
        "options": {"scales": {"y": {"min": 0}}},
    }


def value_panels(*, segment: str = "") -> list[Panel]:
    return [segment_panel(segment=segment), nps_value_panel(segment=segment)]
