"""Reads of the dashboard: every figure from the daily summaries, a fixed number of queries.

The filters are the shared ones (``surveys.filters.AnalysisFilters``, the same query string as
the crosstab, the topic list and the reports). The summaries (``DailyRollup``) carry period,
wave, segment, touchpoint and survey and are added up; NPS and its interval come from
``surveys.figures``, proportions and means from ``engagement.platform.statistics``.

Two cases read the responses instead of the summaries:

- a filter on a dimension the summaries do not carry (store, store or campaign link, URL
  parameter, NPS band; ``AnalysisFilters.needs_responses``): the counts, NPS and indices are
  grouped from the filtered responses (indexed: ``public_link_id``, the GIN index on
  ``url_params`` on PostgreSQL, ``nps_category``; the selection is one store or campaign, a
  small share of the data) and the linkage with behaviour is computed live;
- a behaviour window other than the one the summaries were built with: the linkage by NPS
  category and by awareness band is computed from the raw data (``behaviour_outcomes_by``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, QuerySet, Sum
from django.utils.translation import gettext as _

from engagement.customers.models import Touchpoint
from engagement.customers.selectors.outcomes import (
    DEFAULT_WINDOW_DAYS,
    Outcomes,
    behaviour_outcomes_by,
    compare_outcomes,
)
from engagement.dashboard.analysis.scales import scores as scale_scores
from engagement.dashboard.models import DailyRollup, RollupKind, RollupRun
from engagement.dashboard.services import BAND_EDGES, INDEX_MEASURES, awareness_band
from engagement.platform import statistics as metrics
from surveys import figures
from surveys.filters import AnalysisFilters, responses
from surveys.filters import filter_choices as shared_filter_choices
from surveys.scoring import nps_category
from voc.filters import feedback_items
from voc.impact import TopicEffect, TopicRanking, cached_rank_topics
from voc.models import Sentiment

TOKYO = ZoneInfo("Asia/Tokyo")
CATEGORIES = ("promoter", "passive", "detractor")
INDEX_SUMS = (
    "csat_n",
    "csat_sum",
    "empathy_n",
    "empathy_sum",
    "attachment_n",
    "attachment_sum",
    "awareness_n",
    "awareness_sum",
)
OUTCOME_SUMS = ("anchors", "churn", "repeat", "referral", "review", "spend_sum", "spend_sq")
TOP_TOPICS = 10
TOP_NEGATIVE_PER_TOUCHPOINT = 3


def _rollups(filters: AnalysisFilters, kind: str, *, ignore_wave: bool = False) -> QuerySet:
    qs = DailyRollup.objects.filter(kind=kind)
    if filters.date_from:
        qs = qs.filter(day__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(day__lte=filters.date_to)
    if filters.wave_id and not ignore_wave:
        qs = qs.filter(wave_id=filters.wave_id)
    if filters.survey_id:
        qs = qs.filter(survey_id=filters.survey_id)
    if filters.segment:
        qs = qs.filter(segment=filters.segment)
    if filters.touchpoint:
        qs = qs.filter(touchpoint=filters.touchpoint)
    return qs.order_by()


def _rollup_groups(filters: AnalysisFilters) -> list[dict[str, Any]]:
    """The NPS summaries by wave × touchpoint × score (every wave: the trend shows them all)."""
    return list(
        _rollups(filters, RollupKind.NPS, ignore_wave=True)
        .values("wave_id", "touchpoint", "key")
        .annotate(
            n=Sum("n"),
            **{name: Sum(name) for name in INDEX_SUMS},
            **_outcome_aggregates(),
        )
        .order_by("wave_id", "touchpoint", "key")
    )


def _response_groups(filters: AnalysisFilters) -> list[dict[str, Any]]:
    """The same groups as ``_rollup_groups``, counted from the filtered responses (a filter the
    summaries do not carry). The outcome sums are left out: the linkage is computed live."""
    every_wave = filtered_responses(replace(filters, wave_id=None))
    rows = (
        every_wave.values("touchpoint", wave_id=F("survey__wave_id"), key=F("nps_score"))
        .annotate(n=Count("pk"), **INDEX_MEASURES)
        .order_by("wave_id", "touchpoint", "key")
    )
    return [{**row, **dict.fromkeys(OUTCOME_SUMS, 0)} for row in rows]


def _outcome_aggregates() -> dict[str, Any]:
    return {name: Sum(name) for name in OUTCOME_SUMS}


def _outcomes(row: dict[str, Any], window_days: int) -> Outcomes:
    return Outcomes.from_sums(
        n=row.get("anchors"),
        churn=row.get("churn"),
        repeat=row.get("repeat"),
        referral=row.get("referral"),
        review=row.get("review"),
        spend_sum=row.get("spend_sum"),
        spend_sq=row.get("spend_sq"),
        window_days=window_days,
    )


def _nps(counts: dict[str, int]) -> Any:
    return figures.nps_from_counts(counts)


def _category_counts(rows: list[dict[str, Any]], score_key: str = "key") -> dict[str, int]:
    counts = dict.fromkeys(CATEGORIES, 0)
    for row in rows:
        if row[score_key] is not None:
            counts[nps_category(row[score_key])] += row["n"]
    return counts


def _mean(total: float | None, n: int | None) -> float | None:
    return metrics.ratio(total, n)


@dataclass
class Dashboard:
    filters: AnalysisFilters
    refreshed_at: datetime | None
    summary_window_days: int | None
    responses: int = 0
    nps: Any = None
    csat: float | None = None
    csat_n: int = 0
    indices: dict[str, float | None] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)
    distribution: list[dict[str, Any]] = field(default_factory=list)
    by_category: dict[str, Outcomes] = field(default_factory=dict)
    category_differences: list[dict[str, Any]] = field(default_factory=list)
    by_band: list[dict[str, Any]] = field(default_factory=list)
    flow: list[dict[str, Any]] = field(default_factory=list)
    ranking: TopicRanking | None = None
    topics_by_volume: list[TopicEffect] = field(default_factory=list)
    topics_by_impact: list[TopicEffect] = field(default_factory=list)  # the ranked problems
    topic_strengths: list[TopicEffect] = field(default_factory=list)
    topic_reference: list[TopicEffect] = field(default_factory=list)
    linkage_live: bool = False
    # Scale questions (CSAT, CES, agreement, Likert, each matrix statement): (item, scores).
    scales: list[tuple[Any, Any]] = field(default_factory=list)


def band_label(band: int) -> str:
    low = 0 if band == 0 else BAND_EDGES[band - 1]
    high = BAND_EDGES[band] if band < len(BAND_EDGES) else 100
    return f"{low}–{high}"


def dashboard(*, filters: AnalysisFilters) -> Dashboard:
    """Everything the dashboard page shows, for the given filters."""
    run = RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    result = Dashboard(
        filters=filters,
        refreshed_at=run.finished_at if run else None,
        summary_window_days=run.window_days if run else None,
    )
    # One pass over the NPS summaries (every wave: the trend shows them all), then Python sums
    # over a few hundred groups (wave × touchpoint × score).
    raw = filters.needs_responses
    groups = _response_groups(filters) if raw else _rollup_groups(filters)
    selected = [g for g in groups if not filters.wave_id or g["wave_id"] == filters.wave_id]

    def total(rows: list[dict[str, Any]], name: str) -> float:
        return sum(row[name] or 0 for row in rows)

    result.responses = int(total(selected, "n"))
    result.csat = _mean(total(selected, "csat_sum"), total(selected, "csat_n"))
    result.csat_n = int(total(selected, "csat_n"))
    result.indices = {
        name: _mean(total(selected, f"{name}_sum"), total(selected, f"{name}_n"))
        for name in ("empathy", "attachment", "awareness")
    }

    by_score: dict[int, dict[str, float]] = {}
    for row in selected:
        if row["key"] is None:
            continue
        sums = by_score.setdefault(row["key"], dict.fromkeys(("n", *OUTCOME_SUMS), 0))
        for name in ("n", *OUTCOME_SUMS):
            sums[name] += row[name] or 0
    total_scored = sum(row["n"] for row in by_score.values())
    result.distribution = [
        {
            "score": score,
            "n": int(by_score.get(score, {}).get("n", 0)),
            "share": metrics.ratio(by_score.get(score, {}).get("n", 0), total_scored),
            "category": nps_category(score),
        }
        for score in range(11)
    ]
    result.nps = _nps(_category_counts([{"key": k, **v} for k, v in by_score.items()]))

    live = raw or filters.window_days != (result.summary_window_days or DEFAULT_WINDOW_DAYS)
    result.linkage_live = live
    if live:
        result.by_category = _live_by_category(filters)
    else:
        per_category: dict[str, dict[str, float]] = {
            c: dict.fromkeys(OUTCOME_SUMS, 0) for c in CATEGORIES
        }
        for score, sums in by_score.items():
            for name in OUTCOME_SUMS:
                per_category[nps_category(score)][name] += sums[name]
        result.by_category = {
            c: _outcomes(per_category[c], filters.window_days) for c in CATEGORIES
        }
    for a, b in (("promoter", "detractor"), ("passive", "detractor"), ("promoter", "passive")):
        diff = compare_outcomes(result.by_category[a], result.by_category[b])
        result.category_differences.append({"a": a, "b": b, "differences": diff})

    # NPS trend by wave (the wave filter itself does not apply: the trend shows every wave).
    from surveys.models import Wave

    wave_ids = {row["wave_id"] for row in groups if row["wave_id"] is not None}
    waves = Wave.objects.filter(id__in=wave_ids).order_by("starts_on", "id")
    result.trend = [
        {
            "wave_id": wave.id,
            "name": wave.name,
            "nps": _nps(
                _category_counts(
                    [r for r in groups if r["wave_id"] == wave.id and r["key"] is not None]
                )
            ),
        }
        for wave in waves
    ]

    # Linkage by awareness band.
    if live:
        result.by_band = _live_by_band(filters)
    else:
        band_rows = {
            row["key"]: row
            for row in _rollups(filters, RollupKind.BAND)
            .values("key")
            .annotate(n=Sum("n"), **_outcome_aggregates())
            .order_by("key")
        }
        result.by_band = [
            {
                "band": band,
                "label": band_label(band),
                "n": band_rows.get(band, {}).get("n", 0),
                "outcomes": _outcomes(band_rows.get(band, {}), filters.window_days),
            }
            for band in range(len(BAND_EDGES) + 1)
        ]

    _flow_and_topics(result, filters, selected)
    # Scale questions are scored from the answers of the same filters (not summarised daily).
    result.scales = scale_scores(filtered_responses(filters))
    return result


def _flow_and_topics(
    result: Dashboard, filters: AnalysisFilters, by_touchpoint: list[dict[str, Any]]
) -> None:
    from voc.models import Topic

    negative_map: dict[tuple[str, int], int] = {}
    if filters.needs_responses:
        negatives = (
            filtered_items(filters)
            .filter(topic__isnull=False, sentiment=Sentiment.NEGATIVE)
            .values("touchpoint", key=F("topic_id"))
            .annotate(negative=Count("pk"))
            .order_by("touchpoint", "key")
        )
    else:
        negatives = (
            _rollups(filters, RollupKind.TOPIC)
            .filter(negative__gt=0)
            .values("touchpoint", "key")
            .annotate(negative=Sum("negative"))
            .order_by("touchpoint", "key")
        )
    for row in negatives:
        negative_map[(row["touchpoint"], row["key"])] = row["negative"]
    negative_by_touchpoint = sorted(
        (
            {"touchpoint": touchpoint, "key": key, "negative": negative}
            for (touchpoint, key), negative in negative_map.items()
        ),
        key=lambda row: (row["touchpoint"], -row["negative"], row["key"]),
    )
    names = dict(
        Topic.objects.filter(id__in={key for _touchpoint, key in negative_map}).values_list(
            "id", "name"
        )
    )

    # Customer-experience flow: touchpoints in journey order.
    flow = []
    for value, label in Touchpoint.choices:
        rows = [row for row in by_touchpoint if row["touchpoint"] == value]
        n = sum(row["n"] for row in rows)
        csat_n = sum(row["csat_n"] or 0 for row in rows)
        csat_sum = sum(row["csat_sum"] or 0 for row in rows)
        negatives = [row for row in negative_by_touchpoint if row["touchpoint"] == value]
        flow.append(
            {
                "touchpoint": value,
                "label": str(label),
                "n": n,
                "nps": _nps(_category_counts([r for r in rows if r["key"] is not None])),
                "csat": metrics.ratio(csat_sum, csat_n),
                "negative_topics": [
                    {
                        "topic_id": row["key"],
                        "name": names.get(row["key"], "?"),
                        "negative": row["negative"],
                    }
                    for row in negatives[:TOP_NEGATIVE_PER_TOUCHPOINT]
                ],
            }
        )
    result.flow = flow

    # Topics: the one ranking by behaviour effect (voc.impact), computed from the raw data of
    # the same filters, so the dashboard, the report and the topic list agree.
    result.ranking = cached_rank_topics(
        items=filtered_items(filters),
        responses=filtered_responses(filters),
        window_days=filters.window_days,
    )
    result.topics_by_volume = sorted(result.ranking.topics, key=lambda t: (-t.items, t.topic_id))[
        :TOP_TOPICS
    ]
    result.topics_by_impact = result.ranking.problems[:TOP_TOPICS]
    result.topic_strengths = result.ranking.strengths[:TOP_TOPICS]
    result.topic_reference = result.ranking.reference[:TOP_TOPICS]


# --- live linkage (a window other than the summaries') ------------------------------------------


def filtered_responses(filters: AnalysisFilters) -> QuerySet:
    """Completed responses matching the filters (raw data, for live figures and key drivers)."""
    return responses(filters)


def filtered_items(filters: AnalysisFilters) -> QuerySet:
    """Feedback items matching the filters (a survey-only filter keeps survey answers)."""
    return feedback_items(filters)


def _live_by_category(filters: AnalysisFilters) -> dict[str, Outcomes]:
    grouped = behaviour_outcomes_by(
        anchors=filtered_responses(filters).exclude(nps_category=""),
        group_by="nps_category",
        window_days=filters.window_days,
    )
    empty = Outcomes.empty(window_days=filters.window_days)
    return {c: grouped.get(c, empty) for c in CATEGORIES}


def _live_by_band(filters: AnalysisFilters) -> list[dict[str, Any]]:
    qs = filtered_responses(filters).filter(awareness_index__isnull=False)
    grouped = behaviour_outcomes_by(
        anchors=qs.annotate(band=awareness_band()),
        group_by="band",
        window_days=filters.window_days,
    )
    return [
        {
            "band": band,
            "label": band_label(band),
            "n": grouped[band].n if band in grouped else 0,
            "outcomes": grouped.get(band) or Outcomes.empty(window_days=filters.window_days),
        }
        for band in range(len(BAND_EDGES) + 1)
    ]


# --- filter choices -----------------------------------------------------------------------------


def filter_choices() -> dict[str, list[tuple[Any, str]]]:
    """The shared filters' choices; the segments are those the last rebuild saw (no scan of
    the customers on every page view)."""
    run = RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    return shared_filter_choices(segments=run.segments if run else [])


def no_data() -> str:
    return _("no data")
