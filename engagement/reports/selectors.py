"""Reads: the improvement report's data, an action's before/after check, report lists.

Everything is aggregated in the database: the number of queries depends on the number of
topics shown, never on the number of feedback items.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from engagement.reports import impact, significance
from engagement.reports.masking import mask_personal_data
from engagement.reports.models import (
    ActionStatus,
    ImprovementAction,
    ProductArea,
    Report,
    ReportStatus,
)
from surveys.models import NpsCategory, Response, ResponseStatus, Survey, Wave
from voc.models import FeedbackItem, Sentiment, Topic

SNAPSHOT_VERSION = 1
QUOTES_PER_TOPIC = 5
MAX_TOPICS = 200

Progress = Callable[[int], None]


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def scope_items(
    *,
    period_start: date,
    period_end: date,
    segment: str = "",
    touchpoint: str = "",
    survey_id: int | None = None,
) -> QuerySet[FeedbackItem]:
    items = FeedbackItem.objects.filter(
        received_at__gte=day_start(period_start),
        received_at__lt=day_start(period_end + timedelta(days=1)),
    )
    if segment:
        items = items.filter(customer__segment=segment)
    if touchpoint:
        items = items.filter(touchpoint=touchpoint)
    if survey_id:
        items = items.filter(response__survey_id=survey_id)
    return items.order_by()


def scope_respondents(
    *,
    period_start: date,
    period_end: date,
    segment: str = "",
    touchpoint: str = "",
    survey_id: int | None = None,
) -> QuerySet[Response]:
    responses = Response.objects.filter(
        status=ResponseStatus.COMPLETED,
        nps_score__isnull=False,
        submitted_at__gte=day_start(period_start),
        submitted_at__lt=day_start(period_end + timedelta(days=1)),
    )
    if segment:
        responses = responses.filter(customer__segment=segment)
    if touchpoint:
        responses = responses.filter(touchpoint=touchpoint)
    if survey_id:
        responses = responses.filter(survey_id=survey_id)
    return responses.order_by()


def nps_of(responses: QuerySet[Response]) -> dict[str, Any] | None:
    counts = responses.aggregate(
        n=Count("id"),
        promoters=Count("id", filter=Q(nps_category=NpsCategory.PROMOTER)),
        detractors=Count("id", filter=Q(nps_category=NpsCategory.DETRACTOR)),
    )
    return significance.nps(counts["promoters"], counts["detractors"], counts["n"])


def _category_counts() -> dict[str, Any]:
    return {
        "volume": Count("id"),
        "promoter": Count("id", filter=Q(nps_category=NpsCategory.PROMOTER)),
        "passive": Count("id", filter=Q(nps_category=NpsCategory.PASSIVE)),
        "detractor": Count("id", filter=Q(nps_category=NpsCategory.DETRACTOR)),
        "positive": Count("id", filter=Q(sentiment=Sentiment.POSITIVE)),
        "neutral": Count("id", filter=Q(sentiment=Sentiment.NEUTRAL)),
        "negative": Count("id", filter=Q(sentiment=Sentiment.NEGATIVE)),
        "avg_nps": Avg("nps_score"),
    }


def representative_quotes(
    *, items: QuerySet[FeedbackItem], topic_ids: list[int], per_topic: int = QUOTES_PER_TOPIC
) -> dict[int, list[dict[str, Any]]]:
    """Up to ``per_topic`` quotes a topic (most representative first), personal data masked."""
    ranked = (
        items.filter(topic_id__in=topic_ids)
        .exclude(text="")
        .annotate(
            row=Window(
                RowNumber(),
                partition_by=[F("topic_id")],
                order_by=[F("topic_score").desc(nulls_last=True), F("received_at").desc()],
            )
        )
        .filter(row__lte=per_topic)
        .values(
            "id",
            "topic_id",
            "text",
            "sentiment",
            "nps_category",
            "touchpoint",
            "channel",
            "received_at",
            "customer__name",
            "customer__email",
        )
        .order_by("topic_id", "row")
    )
    quotes: dict[int, list[dict[str, Any]]] = {}
    for row in ranked:
        quotes.setdefault(row["topic_id"], []).append(
            {
                # The item's id lets forget_customer find and remove the quote later.
                "item_id": row["id"],
                "text": mask_personal_data(
                    row["text"], names=[row["customer__name"]], emails=[row["customer__email"]]
                ),
                "sentiment": row["sentiment"],
                "nps_category": row["nps_category"],
                "touchpoint": row["touchpoint"],
                "channel": row["channel"],
                "received_on": timezone.localtime(row["received_at"]).date().isoformat(),
            }
        )
    return quotes


def _actions_by_topic(topic_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    links = ImprovementAction.topics.through.objects.filter(topic_id__in=topic_ids).values(
        "topic_id",
        "improvementaction_id",
        "improvementaction__title",
        "improvementaction__status",
        "improvementaction__shipped_on",
    )
    result: dict[int, list[dict[str, Any]]] = {}
    for link in links.order_by("topic_id", "improvementaction_id"):
        shipped = link["improvementaction__shipped_on"]
        result.setdefault(link["topic_id"], []).append(
            {
                "id": link["improvementaction_id"],
                "title": link["improvementaction__title"],
                "status": link["improvementaction__status"],
                "shipped_on": shipped.isoformat() if shipped else None,
            }
        )
    return result


def shipped_actions(
    *, period_start: date, period_end: date, product_area: ProductArea | None
) -> list[dict[str, Any]]:
    actions = ImprovementAction.objects.filter(
        shipped_on__gte=period_start,
        shipped_on__lte=period_end,
        status__in=[ActionStatus.SHIPPED, ActionStatus.VERIFIED],
    )
    if product_area is not None:
        actions = actions.filter(
            Q(product_area=product_area) | Q(topics__product_areas=product_area)
        ).distinct()
    return [
        {
            "id": action.id,
            "title": action.title,
            "status": action.status,
            "shipped_on": action.shipped_on.isoformat(),
            "topics": sorted(topic.name for topic in action.topics.all()),
        }
        for action in actions.prefetch_related("topics").order_by("shipped_on", "id")
    ]


def _changes(topics: list[dict[str, Any]], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What changed since the previous report: ranks of the top topics, and volume swings."""
    if not previous:
        return []
    before = {topic["id"]: topic for topic in previous.get("topics", [])}
    changes = []
    for topic in topics[:5]:
        old = before.get(topic["id"])
        if old is None:
            changes.append({"topic": topic["name"], "kind": "new", "rank": topic["rank"]})
        elif old["rank"] != topic["rank"]:
            changes.append(
                {
                    "topic": topic["name"],
                    "kind": "up" if topic["rank"] < old["rank"] else "down",
                    "rank": topic["rank"],
                    "previous_rank": old["rank"],
                }
            )
    current_ids = {topic["id"] for topic in topics[:5]}
    for old in previous.get("topics", [])[:3]:
        if old["id"] not in current_ids:
            changes.append({"topic": old["name"], "kind": "left", "previous_rank": old["rank"]})
    return changes


def compute_report(
    *,
    period_start: date,
    period_end: date,
    product_area: ProductArea | None = None,
    segment: str = "",
    touchpoint: str = "",
    survey: Survey | None = None,
    window_days: int = impact.DEFAULT_WINDOW_DAYS,
    previous: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The whole report as JSON-ready data (what a stored report keeps)."""

    def step(percent: int) -> None:
        if progress is not None:
            progress(percent)

    filters = {
        "segment": segment,
        "touchpoint": touchpoint,
        "survey_id": survey.id if survey else None,
    }
    length = (period_end - period_start).days + 1
    previous_end = period_start - timedelta(days=1)
    previous_start = previous_end - timedelta(days=length - 1)
    items = scope_items(period_start=period_start, period_end=period_end, **filters)
    previous_items = scope_items(period_start=previous_start, period_end=previous_end, **filters)
    respondents = scope_respondents(period_start=period_start, period_end=period_end, **filters)

    area_topics: QuerySet[Topic] | None = None
    topic_items = items.filter(topic__isnull=False)
    if product_area is not None:
        area_topics = product_area.topics.all()
        topic_items = topic_items.filter(topic__in=area_topics.values("id"))

    total_items = items.count()
    respondent_nps = nps_of(respondents)
    respondent_count = respondent_nps["n"] if respondent_nps else 0
    step(10)

    counts = {
        row["topic_id"]: row
        for row in topic_items.values("topic_id").annotate(**_category_counts()).order_by()
    }
    previous_counts = dict(
        previous_items.filter(topic_id__in=list(counts))
        .values("topic_id")
        .annotate(volume=Count("id"))
        .values_list("topic_id", "volume")
        .order_by()
    )
    detractor_respondents = dict(
        topic_items.filter(
            response__in=respondents.filter(nps_category=NpsCategory.DETRACTOR).values("id")
        )
        .values("topic_id")
        .annotate(respondents=Count("response_id", distinct=True))
        .values_list("topic_id", "respondents")
        .order_by()
    )
    touchpoints: dict[int, list[dict[str, Any]]] = {}
    for row in (
        topic_items.exclude(touchpoint="")
        .values("topic_id", "touchpoint")
        .annotate(count=Count("id"))
        .order_by("topic_id", "-count", "touchpoint")
    ):
        touchpoints.setdefault(row["topic_id"], []).append(
            {"code": row["touchpoint"], "count": row["count"]}
        )
    step(30)

    totals, by_topic = impact.group_sums(
        items=items, group_field="topic_id", window_days=window_days
    )
    step(70)

    meta = {
        topic["id"]: topic
        for topic in Topic.objects.filter(id__in=list(counts))
        .values("id", "name", "terms", "is_other")
        .order_by("id")
    }
    topics: list[dict[str, Any]] = []
    empty_group = dict.fromkeys(impact.SUM_KEYS, 0.0)
    for topic_id, row in counts.items():
        group = by_topic.get(topic_id, empty_group)
        uplift = impact.nps_uplift_points(
            detractors=detractor_respondents.get(topic_id, 0), respondents=respondent_count
        )
        excess = impact.excess_churn_points(group, totals)
        previous_volume = previous_counts.get(topic_id, 0)
        volume = row["volume"]
        scored = row["promoter"] + row["passive"] + row["detractor"]
        topics.append(
            {
                "id": topic_id,
                "name": meta[topic_id]["name"],
                "terms": list(meta[topic_id]["terms"] or [])[:8],
                "is_other": meta[topic_id]["is_other"],
                "impact": impact.impact_score(nps_uplift=uplift, excess_churn=excess),
                "nps_uplift": round(uplift, 2) if uplift is not None else None,
                "excess_churn": round(excess, 2),
                "detractor_respondents": detractor_respondents.get(topic_id, 0),
                "volume": volume,
                "share": round(100 * volume / total_items, 1) if total_items else None,
                "previous_volume": previous_volume,
                "trend_pct": (
                    round(100 * (volume - previous_volume) / previous_volume, 1)
                    if previous_volume
                    else None
                ),
                "nps_mix": {
                    "promoter": row["promoter"],
                    "passive": row["passive"],
                    "detractor": row["detractor"],
                    "none": volume - scored,
                },
                "topic_nps": (
                    round(100 * (row["promoter"] - row["detractor"]) / scored, 1)
                    if scored
                    else None
                ),
                "avg_nps": round(row["avg_nps"], 1) if row["avg_nps"] is not None else None,
                "sentiment": {
                    "positive": row["positive"],
                    "neutral": row["neutral"],
                    "negative": row["negative"],
                    "none": volume - row["positive"] - row["neutral"] - row["negative"],
                },
                "touchpoints": touchpoints.get(topic_id, []),
                "behaviour": impact.compare(group, totals, window_days=window_days),
            }
        )
    topics.sort(key=lambda t: (-t["impact"], -t["volume"], t["id"]))
    topics = topics[:MAX_TOPICS]
    for rank, topic in enumerate(topics, start=1):
        topic["rank"] = rank
    topic_ids = [topic["id"] for topic in topics]
    quotes = representative_quotes(items=topic_items, topic_ids=topic_ids)
    actions = _actions_by_topic(topic_ids)
    for topic in topics:
        topic["quotes"] = quotes.get(topic["id"], [])
        topic["actions"] = actions.get(topic["id"], [])
    step(90)

    ranked = [topic for topic in topics if not topic["is_other"] and topic["impact"] > 0]
    customers = int(totals["n"])
    return {
        "version": SNAPSHOT_VERSION,
        "params": {
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "previous_start": previous_start.isoformat(),
            "previous_end": previous_end.isoformat(),
            "product_area": (
                {"id": product_area.id, "name": product_area.name} if product_area else None
            ),
            "segment": segment,
            "touchpoint": touchpoint,
            "survey": {"id": survey.id, "title": survey.title} if survey else None,
            "window_days": window_days,
        },
        "totals": {
            "items": total_items,
            "previous_items": previous_items.count(),
            "topic_items": sum(topic["volume"] for topic in topics),
            "nps": respondent_nps,
            "customers": customers,
            "churn": significance.proportion(int(totals["churn"]), customers),
            "repeat": significance.proportion(int(totals["repeat"]), customers),
        },
        "topics": topics,
        "summary": {
            "top": [
                {
                    "id": topic["id"],
                    "name": topic["name"],
                    "impact": topic["impact"],
                    "nps_uplift": topic["nps_uplift"],
                    "excess_churn": topic["excess_churn"],
                    "volume": topic["volume"],
                }
                for topic in ranked[:3]
            ],
            "has_previous": previous is not None,
            "changes": _changes(topics, previous),
            "shipped_actions": shipped_actions(
                period_start=period_start, period_end=period_end, product_area=product_area
            ),
        },
    }


def previous_report(*, report: Report) -> Report | None:
    """The latest finished report before ``report`` with the same scope."""
    return (
        Report.objects.filter(
            status=ReportStatus.DONE,
            product_area_id=report.product_area_id,
            segment=report.segment,
            touchpoint=report.touchpoint,
            survey_id=report.survey_id,
            period_end__lt=report.period_end,
        )
        .exclude(id=report.id)
        .order_by("-period_end", "-id")
        .first()
    )


def report_list() -> QuerySet[Report]:
    return Report.objects.select_related("product_area", "survey").order_by("-created_at", "-id")


def action_list() -> QuerySet[ImprovementAction]:
    return (
        ImprovementAction.objects.select_related("owner", "product_area")
        .prefetch_related("topics")
        .order_by("-updated_at", "-id")
    )


# --- Before/after check of an improvement action ---------------------------------------------


def _comparison_periods(*, shipped_on: date, window_days: int) -> dict[str, Any]:
    """The last wave that ended before the ship date and the next one that starts on/after it.

    Without such waves, the ``window_days`` before and after the ship date.
    """
    before = Wave.objects.filter(ends_on__lt=shipped_on).order_by("-ends_on", "-id").first()
    after = Wave.objects.filter(starts_on__gte=shipped_on).order_by("starts_on", "id").first()
    if before and after:
        return {
            "basis": "waves",
            "before": {"name": before.name, "start": before.starts_on, "end": before.ends_on},
            "after": {"name": after.name, "start": after.starts_on, "end": after.ends_on},
        }
    return {
        "basis": "windows",
        "before": {
            "name": "",
            "start": shipped_on - timedelta(days=window_days),
            "end": shipped_on - timedelta(days=1),
        },
        "after": {
            "name": "",
            "start": shipped_on,
            "end": shipped_on + timedelta(days=window_days - 1),
        },
    }


def _side(*, start: date, end: date, topic_ids: list[int], window_days: int) -> dict[str, Any]:
    items = scope_items(period_start=start, period_end=end)
    topic_items = items.filter(topic_id__in=topic_ids)
    total = items.count()
    volume = topic_items.count()
    raisers_nps = nps_of(
        Response.objects.filter(
            id__in=topic_items.filter(response__isnull=False).values("response_id"),
            nps_score__isnull=False,
        )
    )
    sums, _groups = impact.group_sums(
        items=topic_items, group_field="topic_id", window_days=window_days
    )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "items": total,
        "volume": volume,
        "share": significance.proportion(volume, total),
        "nps": raisers_nps,
        "customers": int(sums["n"]),
        "churned": int(sums["churn"]),
        "churn": significance.proportion(int(sums["churn"]), int(sums["n"])),
    }


def action_verification(
    *, action: ImprovementAction, window_days: int = impact.DEFAULT_WINDOW_DAYS
) -> dict[str, Any] | None:
    """Before/after for the action's topics: volume, NPS of raisers, churn, with z-tests."""
    if action.shipped_on is None:
        return None
    topic_ids = [topic.id for topic in action.topics.all()]
    periods = _comparison_periods(shipped_on=action.shipped_on, window_days=window_days)
    before = _side(
        start=periods["before"]["start"],
        end=periods["before"]["end"],
        topic_ids=topic_ids,
        window_days=window_days,
    )
    after = _side(
        start=periods["after"]["start"],
        end=periods["after"]["end"],
        topic_ids=topic_ids,
        window_days=window_days,
    )
    before["name"], after["name"] = periods["before"]["name"], periods["after"]["name"]
    has_after = after["items"] > 0
    return {
        "basis": periods["basis"],
        "before": before,
        "after": after,
        "has_after_data": has_after,
        "share_test": significance.two_proportion_test(
            after["volume"], after["items"], before["volume"], before["items"]
        ),
        "nps_test": significance.nps_difference_test(after["nps"], before["nps"]),
        "churn_test": significance.two_proportion_test(
            after["churned"], after["customers"], before["churned"], before["customers"]
        ),
        "window_days": window_days,
    }
