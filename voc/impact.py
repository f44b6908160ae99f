"""The one ranking of VoC topics by their effect on behaviour (report, dashboard, topic list).

What is compared
----------------
The *population* is every customer who, in the scope the caller chose (period, segment,
touchpoint, survey or wave), gave feedback or completed a survey response. Each customer is
anchored at their first item or response in the scope, and their behaviour is read in the
``window_days`` after it (``engagement.customers.selectors.outcomes``): churn (a cancellation)
and repeat purchase (any purchase). For a topic, the *raisers* are the customers of the
population with an item in the topic; they are compared with **everyone else in the same
population** — respondents who commented on nothing, or on other topics. Comparing only with
"customers who raised other topics" would make a topic look good or bad because of the other
topics; comparing with customers outside the scope would mix periods and segments with different
base rates. The comparison is therefore within one period and one segment filter at a time.

What ranks a topic
------------------
``effect`` = (churn rate of raisers − churn rate of the others) − (repeat rate of raisers −
repeat rate of the others), in percentage points: the *net behaviour effect*. It is the
difference in mean of the per-customer score churn − repeat (−1, 0 or +1), so its 95% interval
and p-value come from Welch's t-test on that score (``scipy.stats``); the p-values of the topics
tested together are adjusted with Benjamini–Hochberg (``q_value``). Positive = the raisers lose
more customers and buy again less often: a problem. Beside it, each topic carries the two
components (churn and repeat differences with Newcombe intervals and z-test p-values), the
NPS of its respondents against the other respondents (z-test), and the average spend (Welch).

- **Problems**: effect > 0 and not praised, ranked by effect (largest first).
- **Strengths**: a praised topic (positive items are at least half of the topic and outnumber
  the negative ones), or a topic whose effect is < 0 with its interval excluding 0 and q < 0.05
  — listed apart, never among the problems, ranked by effect (most beneficial first).
- **Reference** (「参考値（n=…）」): fewer raisers than ``VOC_IMPACT_MIN_CUSTOMERS``
  (setting, default 30): shown with their figures, out of the ranking.
- **Unranked**: the catch-all "other" topic, and topics with no clear difference (an effect
  ≤ 0 that is not significant: a complaint topic whose customers do not behave worse).

Problems are ranked on the estimate even when its interval includes 0 (the interval and q are
printed beside it, and ``significant`` marks those that hold): the list is where to look first.

The figures are rounded once, here; the ranking sorts the rounded ``effect``, so the order of
the ranks is the order of the printed effect. Pages and exports show these same objects
(``TopicEffect``; a stored report keeps ``as_dict()`` and rebuilds them with ``from_dict``).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from engagement.customers.selectors.outcomes import (
    DEFAULT_WINDOW_DAYS,
    GROUP_SUM_KEYS,
    OUTCOME_AGGREGATES,
    execute_analytic,
    window_bounds,
    window_outcomes_sql,
)
from engagement.platform import statistics
from engagement.platform.formatting import reference_label, rounded
from surveys.models import NpsCategory, Response, ResponseStatus
from surveys.scoring import nps_estimate
from voc.models import FeedbackItem, Sentiment, Topic

DEFAULT_MIN_CUSTOMERS = 30
PRAISE_SHARE = 0.5
SIGNIFICANCE = 0.05

PROBLEM, STRENGTH, REFERENCE, UNRANKED = "problem", "strength", "reference", "unranked"
HARM, BENEFIT, NONE = "harm", "benefit", "none"


def min_customers() -> int:
    return int(getattr(settings, "VOC_IMPACT_MIN_CUSTOMERS", DEFAULT_MIN_CUSTOMERS))


def _round(value: float | None, digits: int = 1) -> float | None:
    return rounded(value, digits)  # half up, as every page and export rounds


@dataclass(frozen=True)
class Measure:
    """A difference (raisers − others) in points with its 95% interval and p-value."""

    value: float | None
    low: float | None = None
    high: float | None = None
    p_value: float | None = None

    @property
    def significant(self) -> bool:
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)

    @classmethod
    def of(cls, difference: statistics.Difference, *, scale: float = 100) -> Measure:
        def scaled(value: float | None) -> float | None:
            return _round(value * scale) if value is not None else None

        return cls(
            scaled(difference.value),
            scaled(difference.low),
            scaled(difference.high),
            _round(difference.p_value, 4),
        )


@dataclass(frozen=True)
class TopicEffect:
    """One topic's figures: what it was ranked by, and what is printed beside its rank."""

    topic_id: int
    name: str
    is_other: bool
    items: int
    positive: int
    neutral: int
    negative: int
    mixed: int
    promoters: int
    passives: int
    detractors: int
    customers: int  # raisers in the population
    other_customers: int
    churn_rate: float | None  # %, raisers
    churn_rate_others: float | None
    repeat_rate: float | None
    repeat_rate_others: float | None
    spend: float | None  # yen, mean over raisers
    spend_others: float | None
    churn_diff: Measure
    repeat_diff: Measure
    spend_diff: Measure
    respondents: int  # raisers' responses with an NPS answer
    nps: float | None
    nps_others: float | None
    nps_diff: Measure
    effect: Measure  # the ranking key: churn_diff − repeat_diff, points
    touchpoints: tuple[tuple[str, int], ...] = ()  # (touchpoint, items), most first
    q_value: float | None = None
    kind: str = UNRANKED
    reason: str = ""
    rank: int | None = None

    @property
    def praised(self) -> bool:
        return self.positive > self.negative and self.positive >= PRAISE_SHARE * self.items

    @property
    def direction(self) -> str:
        if self.effect.value is None or self.effect.value == 0:
            return NONE
        return HARM if self.effect.value > 0 else BENEFIT

    @property
    def significant(self) -> bool:
        """The effect after the Benjamini–Hochberg adjustment over the topics tested together."""
        return self.q_value is not None and self.q_value < SIGNIFICANCE and self.effect.significant

    @property
    def positive_share(self) -> float | None:
        return rounded(100 * self.positive / self.items, 1) if self.items else None

    @property
    def reference_label(self) -> str:
        return reference_label(self.customers)  # 「参考値（n=…）」, the same everywhere

    @property
    def kind_label(self) -> str:
        return {
            PROBLEM: _("Problem"),
            STRENGTH: _("Strength"),
            REFERENCE: self.reference_label,
        }.get(self.kind, _("Not ranked"))

    @property
    def reason_label(self) -> str:
        return {
            "other": _("Catch-all topic"),
            "no_difference": _("No difference in behaviour"),
            "small_sample": self.reference_label,
            "praised": _("Mostly positive comments"),
            "benefit": _("Its customers behave better than the others"),
            "harm": _("Its customers churn more or buy again less"),
        }.get(self.reason, "")

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            direction=self.direction,
            praised=self.praised,
            significant=self.significant,
            positive_share=self.positive_share,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicEffect:
        names = {f for f in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in names}
        values["touchpoints"] = tuple(
            (entry["code"], entry["count"]) if isinstance(entry, dict) else tuple(entry)
            for entry in values.get("touchpoints") or ()
        )
        for key in ("churn_diff", "repeat_diff", "spend_diff", "nps_diff", "effect"):
            measure = values.get(key) or {}
            values[key] = Measure(
                **{part: measure.get(part) for part in ("value", "low", "high", "p_value")}
            )
        return cls(**values)


@dataclass(frozen=True)
class TopicRanking:
    window_days: int
    min_customers: int
    population: int  # customers compared (raisers + others)
    respondents: int  # responses with an NPS answer in the scope
    items_total: int = 0  # feedback items in the scope (with or without a topic)
    nps_counts: dict[str, int] = field(default_factory=dict)  # promoters, passives, detractors
    problems: list[TopicEffect] = field(default_factory=list)
    strengths: list[TopicEffect] = field(default_factory=list)
    reference: list[TopicEffect] = field(default_factory=list)
    unranked: list[TopicEffect] = field(default_factory=list)

    @property
    def topics(self) -> list[TopicEffect]:
        """Every topic: problems by rank, strengths by rank, reference, unranked."""
        return [*self.problems, *self.strengths, *self.reference, *self.unranked]

    @property
    def groups(self) -> list[dict[str, Any]]:
        """The three lists a page shows, each with its title."""
        return [
            {"key": PROBLEM, "title": _("Problems"), "topics": self.problems},
            {"key": STRENGTH, "title": _("Strengths"), "topics": self.strengths},
            {
                "key": REFERENCE,
                "title": _("Reference values (too few customers to rank)"),
                "topics": self.reference,
            },
            {"key": UNRANKED, "title": _("Not ranked"), "topics": self.unranked},
        ]

    def by_id(self) -> dict[int, TopicEffect]:
        return {topic.topic_id: topic for topic in self.topics}

    def as_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "min_customers": self.min_customers,
            "population": self.population,
            "respondents": self.respondents,
            "items_total": self.items_total,
            "nps_counts": self.nps_counts,
            **{
                name: [topic.as_dict() for topic in getattr(self, name)]
                for name in ("problems", "strengths", "reference", "unranked")
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicRanking:
        return cls(
            window_days=data["window_days"],
            min_customers=data["min_customers"],
            population=data["population"],
            respondents=data["respondents"],
            items_total=data.get("items_total", 0),
            nps_counts=data.get("nps_counts", {}),
            **{
                name: [TopicEffect.from_dict(topic) for topic in data.get(name, [])]
                for name in ("problems", "strengths", "reference", "unranked")
            },
        )


# --- computing ---------------------------------------------------------------------------------


def _rate(count: float, n: float) -> float | None:
    return _round(100 * count / n) if n else None


def _net_score(sums: dict[str, float]) -> tuple[float, float, int]:
    """Mean and sample std of the per-customer score churn − repeat (−1, 0, +1)."""
    n = int(sums["n"])
    if n <= 0:
        return 0.0, 0.0, 0
    total = sums["churn"] - sums["repeat"]
    squares = sums["churn"] + sums["repeat"] - 2 * sums["churn_repeat"]
    mean = total / n
    variance = max(0.0, (squares - n * mean * mean) / (n - 1)) if n > 1 else 0.0
    return mean, math.sqrt(variance), n


def _effect(raisers: dict[str, float], others: dict[str, float]) -> statistics.Difference:
    mean_a, std_a, n_a = _net_score(raisers)
    mean_b, std_b, n_b = _net_score(others)
    if n_a == 0 or n_b == 0:
        return statistics.Difference(None)
    test = statistics.welch_from_stats(mean_a, std_a, n_a, mean_b, std_b, n_b)
    if test is None:
        return statistics.Difference(mean_a - mean_b)
    return statistics.Difference(test.difference, test.low, test.high, test.p_value)


def _nps_difference(raisers: dict[str, int], others: dict[str, int]) -> tuple[Any, Any, Measure]:
    a = nps_estimate(
        promoters=raisers["promoters"],
        passives=raisers["passives"],
        detractors=raisers["detractors"],
    )
    b = nps_estimate(
        promoters=others["promoters"], passives=others["passives"], detractors=others["detractors"]
    )
    if a.nps is None or b.nps is None:
        return a, b, Measure(None)
    diff = a.nps - b.nps
    se = math.hypot(a.std_error or 0.0, b.std_error or 0.0)
    if se == 0:
        return a, b, Measure(_round(diff))
    half = statistics.Z95 * se
    p_value = statistics.two_sided_p(diff / se)
    return a, b, Measure(_round(diff), _round(diff - half), _round(diff + half), _round(p_value, 4))


def _testable(topic: TopicEffect, *, minimum: int) -> bool:
    return not topic.is_other and topic.customers >= minimum and topic.effect.p_value is not None


def _classify(topic: TopicEffect, *, minimum: int) -> TopicEffect:
    """Problem: harm (effect > 0), not praised. Strength: praised, or a benefit that holds
    after the Benjamini–Hochberg adjustment — a complaint topic whose customers merely seem to
    behave a little better is not called a strength. The rest: no clear difference, unranked."""
    if topic.is_other:
        return replace(topic, kind=UNRANKED, reason="other")
    if topic.customers < minimum:
        return replace(topic, kind=REFERENCE, reason="small_sample")
    if topic.praised:
        return replace(topic, kind=STRENGTH, reason="praised")
    if topic.direction == BENEFIT and topic.significant:
        return replace(topic, kind=STRENGTH, reason="benefit")
    if topic.direction == HARM:
        return replace(topic, kind=PROBLEM, reason="harm")
    return replace(topic, kind=UNRANKED, reason="no_difference")


@dataclass
class _Scan:
    total: dict[str, float]
    groups: dict[int, dict[str, float]]
    counts: dict[int, dict[str, Any]]
    respondents: dict[int, dict[str, int]]
    nps_total: dict[str, int]
    items_total: int


NPS_NAMES = {
    NpsCategory.PROMOTER: "promoters",
    NpsCategory.PASSIVE: "passives",
    NpsCategory.DETRACTOR: "detractors",
}


def _scan(
    *, items: QuerySet[FeedbackItem], responses: QuerySet[Response], window_days: int
) -> _Scan:
    """Everything the ranking counts, in one SQL statement over the scope.

    The scope's items and responses are read once each into narrow common table expressions
    (``it``, ``rs``); from them: the population anchored at each customer's first row, its
    behaviour (``window_outcomes_sql``), the sums per topic, the NPS answers of each topic's
    respondents (by the NPS category each survey answer's item carries, copied from its
    response) and of all respondents, and the items per topic × sentiment × touchpoint.
    """
    it = (
        items.order_by()
        .annotate(**window_bounds("received_at", window_days=window_days))
        .values("id", "customer_id", "topic_id", "response_id", "nps_category", "sentiment",
                "touchpoint", "_at", "_until")
    )  # fmt: skip
    rs = (
        responses.filter(status=ResponseStatus.COMPLETED, submitted_at__isnull=False)
        .order_by()
        .annotate(**window_bounds("submitted_at", window_days=window_days))
        .values("id", "customer_id", "nps_category", "_at", "_until")
    )
    empty_sums = dict.fromkeys(GROUP_SUM_KEYS, 0.0)
    try:
        it_sql, it_params = it.query.sql_with_params()
    except EmptyResultSet:
        return _Scan(empty_sums, {}, {}, {}, dict.fromkeys(NPS_NAMES.values(), 0), 0)
    try:
        rs_sql, rs_params = rs.query.sql_with_params()
    except EmptyResultSet:  # e.g. filtered by an empty list: no responses in the scope
        rs_sql = (
            "SELECT NULL AS id, NULL AS customer_id, '' AS nps_category, "
            "NULL AS _at, NULL AS _until WHERE 1 = 0"
        )
        rs_params = ()
    outcome_sql, outcome_params = window_outcomes_sql("a")
    zeros = ", ".join(["0"] * 3 + ["CAST(0 AS DOUBLE PRECISION)"] * 2)
    # ORM-built SQL for the scope, fixed identifiers, every value a parameter.
    # PostgreSQL: read the tables (index-only over the covering index) at each use rather than
    # spool them into a work table first (measured: spooling costs more than it saves).
    inline = "NOT MATERIALIZED " if connection.vendor == "postgresql" else ""
    sql = (
        f"WITH it AS {inline}({it_sql}), rs AS {inline}({rs_sql}), "  # noqa: S608
        "a AS (SELECT customer_id, MIN(_at) AS anchor_at, MIN(_until) AS anchor_until FROM ("
        "SELECT customer_id, _at, _until FROM it WHERE customer_id IS NOT NULL UNION ALL "
        "SELECT customer_id, _at, _until FROM rs WHERE customer_id IS NOT NULL) AS u "
        f"GROUP BY customer_id), o AS ({outcome_sql}) "
        f"SELECT 'total', NULL, NULL, NULL, {OUTCOME_AGGREGATES} FROM o "
        f"UNION ALL SELECT 'topic', p.topic_id, NULL, NULL, {OUTCOME_AGGREGATES} FROM "
        "(SELECT DISTINCT topic_id, customer_id FROM it "
        "WHERE topic_id IS NOT NULL AND customer_id IS NOT NULL) AS p "
        "INNER JOIN o ON o.customer_id = p.customer_id GROUP BY p.topic_id "
        f"UNION ALL SELECT 'nps', r.topic_id, r.nps_category, NULL, COUNT(*), {zeros} FROM "
        "(SELECT DISTINCT topic_id, nps_category, response_id FROM it WHERE topic_id IS NOT NULL "
        "AND response_id IS NOT NULL AND nps_category <> '') AS r "
        "GROUP BY r.topic_id, r.nps_category "
        f"UNION ALL SELECT 'answers', NULL, rs.nps_category, NULL, COUNT(*), {zeros} FROM rs "
        "WHERE rs.nps_category <> '' GROUP BY rs.nps_category "
        f"UNION ALL SELECT 'items', it.topic_id, it.sentiment, it.touchpoint, COUNT(*), {zeros} "
        "FROM it GROUP BY it.topic_id, it.sentiment, it.touchpoint"
    )
    rows = execute_analytic(sql, [*it_params, *rs_params, *outcome_params])

    def sums(values: tuple[Any, ...]) -> dict[str, float]:
        return {key: float(v or 0) for key, v in zip(GROUP_SUM_KEYS, values, strict=True)}

    total = dict(empty_sums)
    groups: dict[int, dict[str, float]] = {}
    counts: dict[int, dict[str, Any]] = {}
    respondents: dict[int, dict[str, int]] = {}
    nps_total = dict.fromkeys(NPS_NAMES.values(), 0)
    items_total = 0
    sentiments = (Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE, Sentiment.MIXED)
    for kind, topic_id, label, touchpoint, *values in rows:
        if kind == "total":
            total = sums(tuple(values))
        elif kind == "topic":
            groups[topic_id] = sums(tuple(values))
        elif kind == "nps" and label in NPS_NAMES:
            answered = respondents.setdefault(topic_id, dict.fromkeys(NPS_NAMES.values(), 0))
            answered[NPS_NAMES[label]] += int(values[0])
        elif kind == "answers" and label in NPS_NAMES:
            nps_total[NPS_NAMES[label]] += int(values[0])
        elif kind == "items":
            n = int(values[0])
            items_total += n
            if topic_id is None:
                continue
            row = counts.setdefault(
                topic_id, {"volume": 0, "touchpoints": {}, **dict.fromkeys(sentiments, 0)}
            )
            row["volume"] += n
            if label in row:
                row[label] += n
            if touchpoint:
                row["touchpoints"][touchpoint] = row["touchpoints"].get(touchpoint, 0) + n
    return _Scan(total, groups, counts, respondents, nps_total, items_total)


def rank_topics(
    *,
    items: QuerySet[FeedbackItem],
    responses: QuerySet[Response],
    window_days: int = DEFAULT_WINDOW_DAYS,
    minimum: int | None = None,
    topic_ids: Collection[int] | None = None,
) -> TopicRanking:
    """Rank the topics of ``items`` by their net behaviour effect (see the module docstring).

    ``items`` and ``responses`` are the scope (already filtered by the caller); the population
    is every customer in either. ``topic_ids`` limits the topics listed (e.g. a product area),
    not the population. A fixed number of queries, whatever the number of items or topics.
    """
    minimum = min_customers() if minimum is None else minimum
    scan = _scan(items=items, responses=responses, window_days=window_days)
    counts = scan.counts
    if topic_ids is not None:
        wanted = set(topic_ids)
        counts = {topic_id: row for topic_id, row in counts.items() if topic_id in wanted}
    if not counts:
        return TopicRanking(window_days=window_days, min_customers=minimum,
                            population=int(scan.total["n"]),
                            respondents=sum(scan.nps_total.values()),
                            items_total=scan.items_total, nps_counts=scan.nps_total)  # fmt: skip
    total, groups = scan.total, scan.groups
    nps_total, respondent_rows = scan.nps_total, scan.respondents
    meta = {
        row["id"]: row
        for row in Topic.objects.filter(id__in=list(counts)).values("id", "name", "is_other")
    }
    empty = {key: 0.0 for key in total}
    no_answers = {"promoters": 0, "passives": 0, "detractors": 0}
    topics = []
    for topic_id, row in counts.items():
        raisers = groups.get(topic_id, empty)
        others = {key: total[key] - raisers[key] for key in total}
        churn_a = statistics.proportion(raisers["churn"], raisers["n"])
        churn_b = statistics.proportion(others["churn"], others["n"])
        repeat_a = statistics.proportion(raisers["repeat"], raisers["n"])
        repeat_b = statistics.proportion(others["repeat"], others["n"])
        spend_a = statistics.mean_from_moments(
            raisers["spend_sum"], raisers["spend_sq"], raisers["n"]
        )
        spend_b = statistics.mean_from_moments(others["spend_sum"], others["spend_sq"], others["n"])
        answered = respondent_rows.get(topic_id, no_answers)
        not_raised = {key: nps_total[key] - answered[key] for key in no_answers}
        nps_a, nps_b, nps_diff = _nps_difference(answered, not_raised)
        topics.append(
            TopicEffect(
                topic_id=topic_id,
                name=meta[topic_id]["name"],
                is_other=meta[topic_id]["is_other"],
                items=row["volume"],
                positive=row[Sentiment.POSITIVE],
                neutral=row[Sentiment.NEUTRAL],
                negative=row[Sentiment.NEGATIVE],
                mixed=row[Sentiment.MIXED],
                touchpoints=tuple(
                    sorted(row["touchpoints"].items(), key=lambda pair: (-pair[1], pair[0]))
                ),
                promoters=answered["promoters"],
                passives=answered["passives"],
                detractors=answered["detractors"],
                customers=int(raisers["n"]),
                other_customers=int(others["n"]),
                churn_rate=_rate(raisers["churn"], raisers["n"]),
                churn_rate_others=_rate(others["churn"], others["n"]),
                repeat_rate=_rate(raisers["repeat"], raisers["n"]),
                repeat_rate_others=_rate(others["repeat"], others["n"]),
                spend=_round(spend_a.value, 0),
                spend_others=_round(spend_b.value, 0),
                churn_diff=Measure.of(statistics.proportion_difference(churn_a, churn_b)),
                repeat_diff=Measure.of(statistics.proportion_difference(repeat_a, repeat_b)),
                spend_diff=Measure.of(statistics.mean_difference(spend_a, spend_b), scale=1),
                respondents=nps_a.n,
                nps=_round(nps_a.nps),
                nps_others=_round(nps_b.nps),
                nps_diff=nps_diff,
                effect=Measure.of(_effect(raisers, others)),
            )
        )
    # The topics tested together (enough customers, not the catch-all): BH-adjusted p-values.
    tested = [topic for topic in topics if _testable(topic, minimum=minimum)]
    q_values = statistics.adjust_p_values([topic.effect.p_value for topic in tested])
    adjusted = {topic.topic_id: _round(q, 4) for topic, q in zip(tested, q_values, strict=True)}
    topics = [
        _classify(replace(topic, q_value=adjusted.get(topic.topic_id)), minimum=minimum)
        for topic in topics
    ]

    def effect_of(topic: TopicEffect) -> float:
        return topic.effect.value or 0.0

    problems = sorted(
        (t for t in topics if t.kind == PROBLEM),
        key=lambda t: (-effect_of(t), -t.customers, t.topic_id),
    )
    strengths = sorted(
        (t for t in topics if t.kind == STRENGTH),
        key=lambda t: (effect_of(t), -t.customers, t.topic_id),
    )
    reference = sorted(
        (t for t in topics if t.kind == REFERENCE), key=lambda t: (-t.items, t.topic_id)
    )
    unranked = sorted(
        (t for t in topics if t.kind == UNRANKED), key=lambda t: (-t.items, t.topic_id)
    )
    return TopicRanking(
        window_days=window_days,
        min_customers=minimum,
        population=int(total["n"]),
        respondents=sum(nps_total.values()),
        items_total=scan.items_total,
        nps_counts=nps_total,
        problems=[replace(t, rank=rank) for rank, t in enumerate(problems, start=1)],
        strengths=[replace(t, rank=rank) for rank, t in enumerate(strengths, start=1)],
        reference=reference,
        unranked=unranked,
    )


# --- cached, for the pages staff open often (dashboard, topic list) --------------------------

DEFAULT_CACHE_SECONDS = 600


def _data_stamp() -> tuple[Any, ...]:
    """Changes whenever data the ranking reads changes: new items, responses or behaviour
    records, an analysis run, a topic renamed, merged or split, an item moved (index look-ups)."""
    from django.db.models import Max

    from engagement.customers.models import BehaviourRecord
    from voc.models import AnalysisRun

    return (
        FeedbackItem.objects.aggregate(m=Max("id"))["m"],
        tuple(Response.objects.aggregate(m=Max("id"), u=Max("updated_at")).values()),
        BehaviourRecord.objects.aggregate(m=Max("id"))["m"],
        tuple(AnalysisRun.objects.aggregate(m=Max("id"), u=Max("updated_at")).values()),
        tuple(Topic.objects.aggregate(m=Max("id"), u=Max("updated_at")).values()),
    )


def cached_rank_topics(
    *,
    items: QuerySet[FeedbackItem],
    responses: QuerySet[Response],
    window_days: int = DEFAULT_WINDOW_DAYS,
    minimum: int | None = None,
) -> TopicRanking:
    """``rank_topics`` through the cache (``VOC_IMPACT_CACHE_SECONDS``, default 600; 0 = off).

    The key is the scope's SQL, the window, the minimum and a stamp of the data, so a cached
    ranking is the one ``rank_topics`` would compute now (within the expiry, for changes the
    stamp does not see, such as behaviour records edited in place). A cache outage only costs
    a recomputation.
    """
    import contextlib
    import hashlib

    from django.core.cache import cache

    seconds = int(getattr(settings, "VOC_IMPACT_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    minimum = min_customers() if minimum is None else minimum
    if seconds <= 0:
        return rank_topics(
            items=items, responses=responses, window_days=window_days, minimum=minimum
        )
    raw = repr(
        (str(items.query), str(responses.query), window_days, minimum, _data_stamp())
    ).encode()
    key = "voc:impact:" + hashlib.sha256(raw).hexdigest()[:40]
    try:
        cached = cache.get(key)
    except Exception:
        cached = None
    if isinstance(cached, dict):
        return TopicRanking.from_dict(cached)
    ranking = rank_topics(items=items, responses=responses, window_days=window_days,
                          minimum=minimum)  # fmt: skip
    with contextlib.suppress(Exception):
        cache.set(key, ranking.as_dict(), seconds)
    return ranking
