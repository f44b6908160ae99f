"""Topics ranked by the predicted CLV of the customers who raised them (issue 19): which
problems the most valuable customers talk about. Read live for a report's period and scope from
the stored ``CustomerValue`` rows (two queries)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engagement.customers.models import CustomerValue
from engagement.reports.models import Report
from engagement.reports.selectors import report_filters, scope_items

TOP = 10


def topics_by_customer_value(*, report: Report, top: int = TOP) -> list[dict[str, Any]]:
    """Per topic in the report's scope: distinct customers who raised it, the sum and the mean
    of their predicted CLV (customers without one count in ``customers`` only), best first."""
    items = scope_items(
        period_start=report.period_start,
        period_end=report.period_end,
        segment=report.segment,
        touchpoint=report.touchpoint,
        survey_id=report.survey_id,
        filters=report_filters(report),
    ).filter(topic__isnull=False, customer__isnull=False)
    if report.product_area_id:
        items = items.filter(topic__product_areas=report.product_area_id)
    pairs = items.values_list("topic_id", "topic__name", "customer_id").distinct()
    clv = dict(
        CustomerValue.objects.filter(customer_id__in=items.values("customer_id"), clv__isnull=False)
        .order_by()
        .values_list("customer_id", "clv")
    )
    topics: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"customers": 0, "valued": 0, "clv_total": 0.0}
    )
    for topic_id, name, customer_id in pairs.order_by("topic_id", "customer_id"):
        row = topics[topic_id]
        row.update(id=topic_id, name=name)
        row["customers"] += 1
        if customer_id in clv:
            row["valued"] += 1
            row["clv_total"] += clv[customer_id]
    ranked = sorted(topics.values(), key=lambda r: (-r["clv_total"], r["name"]))[:top]
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
        row["clv_total"] = round(row["clv_total"])
        row["clv_mean"] = round(row["clv_total"] / row["valued"]) if row["valued"] else None
    return ranked
