"""Reads: the improvement report's data, an action's before/after check, report lists.

Everything is aggregated in the database: the number of queries depends on the number of
topics shown, never on the number of feedback items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from engagement.customers.selectors.outcomes import (
    DEFAULT_WINDOW_DAYS,
    population_outcome_sums,
)
from engagement.platform.masking import mask_personal_data
from engagement.reports import significance
from engagement.reports.models import (
    ActionStatus,
    ImprovementAction,
    ProductArea,
    Report,
    ReportStatus,
)
from surveys import figures
from surveys.filters import AnalysisFilters, responses
from surveys.models import NpsCategory, Response, Survey, Wave
from voc.filters import feedback_items
from voc.impact import PROBLEM, STRENGTH, rank_topics
from voc.models import FeedbackItem, Topic

SNAPSHOT_VERSION = 2
QUOTES_PER_TOPIC = 5
MAX_TOPICS = 200

Progress = Callable[[int], None]


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def report_scope(
    *,
    period_start: date,
    period_end: date,
    filters: AnalysisFilters | None = None,
    segment: str = "",
    touchpoint: str = "",
    survey_id: int | None = None,
) -> AnalysisFilters:
    """The shared filters of a report: its period, and its other filters (the columns
    ``segment``, ``touchpoint`` and ``survey`` win over the same names in ``filters``)."""
    scope = filters or AnalysisFilters()
    return replace(
        scope,
        date_from=period_start,
        date_to=period_end,
        segment=segment or scope.segment,
        touchpoint=touchpoint or scope.touchpoint,
        survey_id=survey_id or scope.survey_id,
    )


def report_filters(report: Report) -> AnalysisFilters:
    """The shared filters a report was requested with (its period included)."""
    return report_scope(
        period_start=report.period_start,
        period_end=report.period_end,
        filters=AnalysisFilters.from_query(report.filters),
        segment=report.segment,
        touchpoint=report.touchpoint,
        survey_id=report.survey_id,
    )


def scope_items(
    *,
    period_start: date,
    period_end: date,
    segment: str = "",
    touchpoint: str = "",
    survey_id: int | None = None,
    filters: AnalysisFilters | None = None,
) -> QuerySet[FeedbackItem]:
    """The feedback items of the scope: the same selection as the dashboard and the topic list
    (``voc.filters.feedback_items``)."""
    scope = report_scope(
        period_start=period_start,
        period_end=period_end,
        filters=filters,
        segment=segment,
        touchpoint=touchpoint,
        survey_id=survey_id,
    )
    return feedback_items(scope)


def scope_responses(
    *,
    period_start: date,
    period_end: date,
    segment: str = "",
    touchpoint: str = "",
    survey_id: int | None = None,
    filters: AnalysisFilters | None = None,
) -> QuerySet[Response]:
    """Completed responses in the scope (with or without an NPS answer)."""
    scope = report_scope(
        period_start=period_start,
        period_end=period_end,
        filters=filters,
        segment=segment,
        touchpoint=touchpoint,
        survey_id=survey_id,
    )
    return responses(scope)


def nps_of(responses: QuerySet[Response]) -> dict[str, Any] | None:
    counts = responses.aggregate(
        n=Count("id"),
        promoters=Count("id", filter=Q(nps_category=NpsCategory.PROMOTER)),
        detractors=Count("id", filter=Q(nps_category=NpsCategory.DETRACTOR)),
    )
    return significance.nps(counts["promoters"], counts["detractors"], counts["n"])


def representative_quotes(
    *, items: QuerySet[FeedbackItem], topic_ids: list[int], per_topic: int = QUOTES_PER_TOPIC
) -> dict[int, list[dict[str, Any]]]:
    """Up to ``per_topic`` quotes a topic (most representative first), personal data masked.

    Two queries: the ids of the top items of each topic (a window over narrow columns), then
    those few rows with their text and customer (for masking).
    """
    candidates = items.filter(topic_id__in=topic_ids).exclude(text="")
    if connection.vendor == "postgresql" and topic_ids:
        order = _top_items_lateral(candidates, topic_ids=topic_ids, per_topic=per_topic)
    else:
        ranked = (
            candidates.annotate(
                row=Window(
                    RowNumber(),
                    partition_by=[F("topic_id")],
                    order_by=[F("topic_score").desc(nulls_last=True), F("received_at").desc()],
                )
            )
            .filter(row__lte=per_topic)
            .values_list("id", "topic_id", "row")
        )
        order = {item_id: (topic_id, row) for item_id, topic_id, row in ranked}
    rows = FeedbackItem.objects.filter(id__in=list(order)).values(
        "id",
        "text",
        "sentiment",
        "nps_category",
        "touchpoint",
        "channel",
        "received_at",
        "customer__name",
        "customer__email",
    )
    quotes: dict[int, list[dict[str, Any]]] = {}
    for row in sorted(rows.order_by(), key=lambda r: order[r["id"]]):
        quotes.setdefault(order[row["id"]][0], []).append(
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


def _top_items_lateral(
    candidates: QuerySet[FeedbackItem], *, topic_ids: list[int], per_topic: int
) -> dict[int, tuple[int, int]]:
    """PostgreSQL: each topic's top items by one short scan of the ``(topic, topic_score,
    received_at)`` index (a LATERAL join), instead of numbering every item of the period."""
    inner, params = (
        candidates.order_by().values("id", "topic_id", "topic_score", "received_at").query
    ).sql_with_params()
    sql = (
        "SELECT t.topic_id, q.id FROM unnest(%s::bigint[]) AS t(topic_id) "  # noqa: S608
        f"CROSS JOIN LATERAL (SELECT s.id FROM ({inner}) AS s WHERE s.topic_id = t.topic_id "
        "ORDER BY s.topic_score DESC NULLS LAST, s.received_at DESC LIMIT %s) AS q"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(topic_ids), *params, per_topic])
        rows = cursor.fetchall()
    order: dict[int, tuple[int, int]] = {}
    counters: dict[int, int] = {}
    for topic_id, item_id in rows:
        counters[topic_id] = counters.get(topic_id, 0) + 1
        order[item_id] = (topic_id, counters[topic_id])
    return order


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
    """What changed since the previous report: ranks of the top problems."""
    if not previous:
        return []
    previous_problems = [
        topic for topic in previous.get("topics", []) if topic.get("rank") and
        topic.get("kind", PROBLEM) == PROBLEM
    ]  # fmt: skip
    before = {topic["id"]: topic for topic in previous_problems}
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
    for old in previous_problems[:3]:
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
    window_days: int = DEFAULT_WINDOW_DAYS,
    previous: dict[str, Any] | None = None,
    progress: Progress | None = None,
    filters: AnalysisFilters | None = None,
) -> dict[str, Any]:
    """The whole report as JSON-ready data (what a stored report keeps).

    The topics and their order come from ``voc.impact.rank_topics`` (the ranking the dashboard
    and the topic list show); each topic's dict is its ``TopicEffect.as_dict()`` plus the
    report's own context (terms, trend, touchpoints, quotes, actions).
    """

    def step(percent: int) -> None:
        if progress is not None:
            progress(percent)

    scope = {
        "segment": segment,
        "touchpoint": touchpoint,
        "survey_id": survey.id if survey else None,
        "filters": filters,
    }
    length = (period_end - period_start).days + 1
    previous_end = period_start - timedelta(days=1)
    previous_start = previous_end - timedelta(days=length - 1)
    items = scope_items(period_start=period_start, period_end=period_end, **scope)
    previous_items = scope_items(period_start=previous_start, period_end=previous_end, **scope)
    answered = scope_responses(period_start=period_start, period_end=period_end, **scope)

    area_topic_ids: list[int] | None = None
    topic_items = items.filter(topic__isnull=False)
    if product_area is not None:
        area_topic_ids = list(product_area.topics.values_list("id", flat=True))
        topic_items = topic_items.filter(topic_id__in=area_topic_ids)
    step(10)

    ranking = rank_topics(
        items=items, responses=answered, window_days=window_days, topic_ids=area_topic_ids
    )
    counts = ranking.nps_counts
    respondent_nps = significance.nps(
        counts.get("promoters", 0),
        counts.get("detractors", 0),
        sum(counts.values()),
    )
    step(70)
    ranked_ids = [topic.topic_id for topic in ranking.topics]
    previous_counts = dict(
        previous_items.filter(topic_id__in=ranked_ids)
        .values("topic_id")
        .annotate(volume=Count("id"))
        .values_list("topic_id", "volume")
        .order_by()
    )
    terms = dict(Topic.objects.filter(id__in=ranked_ids).values_list("id", "terms").order_by("id"))
    shown = ranking.topics[:MAX_TOPICS]
    shown_ids = [topic.topic_id for topic in shown]
    quotes = representative_quotes(items=topic_items, topic_ids=shown_ids)
    actions = _actions_by_topic(shown_ids)
    total_items = ranking.items_total
    topics: list[dict[str, Any]] = []
    for effect in shown:
        topic_id = effect.topic_id
        previous_volume = previous_counts.get(topic_id, 0)
        topics.append(
            {
                **effect.as_dict(),
                "id": topic_id,
                "terms": list(terms.get(topic_id) or [])[:8],
                "share": figures.share(effect.items, total_items),
                "previous_volume": previous_volume,
                "trend_pct": (
                    round(100 * (effect.items - previous_volume) / previous_volume, 1)
                    if previous_volume
                    else None
                ),
                "touchpoints": [
                    {"code": code, "count": count} for code, count in effect.touchpoints
                ],
                "quotes": quotes.get(topic_id, []),
                "actions": actions.get(topic_id, []),
            }
        )
    step(90)

    problems = [topic for topic in topics if topic["kind"] == PROBLEM]
    strengths = [topic for topic in topics if topic["kind"] == STRENGTH]

    def brief(topic: dict[str, Any]) -> dict[str, Any]:
        return {
            key: topic[key]
            for key in ("id", "name", "rank", "effect", "churn_diff", "repeat_diff", "nps_diff",
                        "customers", "items")
        }  # fmt: skip

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
            # The other shared filters (wave, store, link, URL parameters, NPS band).
            "filters": (filters or AnalysisFilters()).query_string(),
            "window_days": window_days,
            "min_customers": ranking.min_customers,
        },
        "totals": {
            "items": total_items,
            "previous_items": previous_items.count(),
            "topic_items": sum(topic["items"] for topic in topics),
            "nps": respondent_nps,
            "responses": answered.count(),
            "customers": ranking.population,
        },
        "topics": topics,
        "summary": {
            "top": [brief(topic) for topic in problems[:3]],
            "strengths": [brief(topic) for topic in strengths[:3]],
            "has_previous": previous is not None,
            "changes": _changes(problems, previous),
            "shipped_actions": shipped_actions(
                period_start=period_start, period_end=period_end, product_area=product_area
            ),
        },
    }


def _same_scope_before(report: Report) -> QuerySet[Report]:
    """Reports of ``report``'s scope whose period ends before its own."""
    return Report.objects.filter(
        product_area_id=report.product_area_id,
        segment=report.segment,
        touchpoint=report.touchpoint,
        survey_id=report.survey_id,
        filters=report.filters,
        period_end__lt=report.period_end,
    ).exclude(id=report.id)


def earlier_report_in_progress(*, report: Report) -> bool:
    """Whether an earlier report of the same scope is still waiting or being generated (the one
    ``report`` will be compared with may not be finished yet)."""
    return (
        _same_scope_before(report)
        .filter(status__in=[ReportStatus.PENDING, ReportStatus.RUNNING])
        .exists()
    )


def previous_report(*, report: Report) -> Report | None:
    """The latest finished report before ``report`` with the same scope."""
    return (
        _same_scope_before(report)
        .filter(status=ReportStatus.DONE)
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
    sums, _groups = population_outcome_sums(
        anchors=[(topic_items.filter(customer__isnull=False), "received_at")],
        pairs=topic_items.none(),
        group_field="topic_id",
        window_days=window_days,
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
    *, action: ImprovementAction, window_days: int = DEFAULT_WINDOW_DAYS
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
