"""The dashboard's panels: each a chart (a Chart.js spec) and the same numbers as a table.

The page draws the charts and shows the tables; ``exports`` writes a panel's table as CSV, so the
chart, the table and the download always show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from engagement.dashboard.selectors import CATEGORIES, Dashboard
from engagement.platform.formatting import reference_label, rounded
from engagement.platform.statistics import Estimate
from surveys import figures
from voc.impact import TopicEffect

COLOURS = {
    "promoter": "#2e7d32",
    "passive": "#9e9e9e",
    "detractor": "#c62828",
    "primary": "#1565c0",
    "band": "rgba(21, 101, 192, 0.15)",
    "churn": "#c62828",
    "repeat": "#2e7d32",
    "referral": "#6a1b9a",
    "review": "#ef6c00",
}


@dataclass
class Panel:
    name: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def category_label(category: str) -> str:
    return {
        "promoter": _("Promoters"),
        "passive": _("Passives"),
        "detractor": _("Detractors"),
    }[category]


def pct(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else rounded(value * 100, digits)


def rnd(value: float | None, digits: int = 1) -> float | None:
    return rounded(value, digits)  # half up, as every page and export rounds


def ci(estimate: Estimate, *, percent: bool = True, digits: int = 0) -> str:
    if estimate.low is None or estimate.high is None:
        return ""
    if percent:
        return f"{estimate.low * 100:.1f}–{estimate.high * 100:.1f}"
    return f"{estimate.low:,.{digits}f}–{estimate.high:,.{digits}f}"


def build_panels(data: Dashboard) -> list[Panel]:
    return [
        _summary(data),
        _trend(data),
        _distribution(data),
        _indices(data),
        _questions(data),
        _by_category(data),
        _differences(data),
        _by_band(data),
        _flow(data),
        _topics(data, "topics_volume", data.topics_by_volume, _("Top VoC topics by volume")),
        _effect_panel(
            data,
            "topics_impact",
            _("Problems: topics ranked by their effect on behaviour"),
            data.topics_by_impact,
            COLOURS["detractor"],
        ),
        _effect_panel(
            data,
            "topics_strengths",
            _("Strengths: praised topics and topics whose customers behave better"),
            data.topic_strengths,
            COLOURS["promoter"],
        ),
        _effect_panel(
            data,
            "topics_reference",
            _("Reference values: topics with too few customers to rank"),
            data.topic_reference,
            COLOURS["passive"],
        ),
    ]


def panel_by_name(data: Dashboard, name: str) -> Panel | None:
    return next((panel for panel in build_panels(data) if panel.name == name), None)


def _summary(data: Dashboard) -> Panel:
    """The headline figures of the filters (``surveys.figures``: the same n, NPS and rounding
    as the topic list, the reports and their exports)."""
    nps = data.nps
    return Panel(
        name="summary",
        title=_("Summary of the selection"),
        description=_(
            "Responses and NPS of the responses the filters select; n is the number of "
            "responses with an NPS answer."
        ),
        columns=[_("Responses"), "NPS", "n", _("CI low"), _("CI high"), _("Small sample")],
        rows=[
            [
                data.responses,
                figures.shown_nps(nps.nps),
                nps.n,
                figures.shown_nps(nps.ci_low),
                figures.shown_nps(nps.ci_high),
                figures.reference(nps.n),
            ]
        ],
    )


def _trend(data: Dashboard) -> Panel:
    rows = [
        [
            wave["name"],
            wave["nps"].n,
            rnd(wave["nps"].nps),
            rnd(wave["nps"].ci_low),
            rnd(wave["nps"].ci_high),
            reference_label(wave["nps"].n) if wave["nps"].small_sample else "",
        ]
        for wave in data.trend
    ]
    labels = [row[0] for row in rows]
    chart = {
        "type": "line",
        "numberFormat": "decimal1",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": _("95% CI upper"),
                    "data": [row[4] for row in rows],
                    "borderWidth": 0,
                    "pointRadius": 0,
                    "backgroundColor": COLOURS["band"],
                    "fill": "+1",
                },
                {
                    "label": _("95% CI lower"),
                    "data": [row[3] for row in rows],
                    "borderWidth": 0,
                    "pointRadius": 0,
                    "fill": False,
                },
                {
                    "label": "NPS",
                    "data": [row[2] for row in rows],
                    "borderColor": COLOURS["primary"],
                    "backgroundColor": COLOURS["primary"],
                    "fill": False,
                },
            ],
        },
        "options": {"scales": {"y": {"suggestedMin": -100, "suggestedMax": 100}}},
    }
    return Panel(
        name="trend",
        title=_("NPS trend by wave"),
        description=_(
            "NPS = % promoters − % detractors, with its 95% confidence interval (shaded). "
            "The wave filter does not apply here: every wave is shown."
        ),
        columns=[_("Wave"), _("Responses"), "NPS", _("CI low"), _("CI high"), _("Small sample")],
        rows=rows,
        chart=chart,
    )


def _distribution(data: Dashboard) -> Panel:
    rows = [
        [row["score"], category_label(row["category"]), row["n"], pct(row["share"])]
        for row in data.distribution
    ]
    chart = {
        "type": "bar",
        "numberFormat": "count",
        "data": {
            "labels": [str(row["score"]) for row in data.distribution],
            "datasets": [
                {
                    "label": _("Responses"),
                    "data": [row["n"] for row in data.distribution],
                    "backgroundColor": [COLOURS[row["category"]] for row in data.distribution],
                }
            ],
        },
        "options": {"plugins": {"legend": {"display": False}}},
    }
    return Panel(
        name="distribution",
        title=_("Score distribution"),
        description=_("Answers to “How likely are you to recommend…?” (0–10)."),
        columns=[_("Score"), _("Category"), _("Responses"), _("Share (%)")],
        rows=rows,
        chart=chart,
    )


def _indices(data: Dashboard) -> Panel:
    names = {
        "empathy": _("Empathy index"),
        "attachment": _("Attachment index"),
        "awareness": _("Engagement awareness index"),
    }
    rows = [[names[key], rnd(value)] for key, value in data.indices.items()]
    chart = {
        "type": "bar",
        "numberFormat": "decimal1",
        "data": {
            "labels": [row[0] for row in rows],
            "datasets": [
                {
                    "label": _("Index (0–100)"),
                    "data": [row[1] for row in rows],
                    "backgroundColor": COLOURS["primary"],
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"min": 0, "max": 100}},
            "plugins": {"legend": {"display": False}},
        },
    }
    return Panel(
        name="indices",
        title=_("Engagement awareness indices"),
        description=_(
            "Mean of the agreement answers mapped to 0–100: empathy (support, spread, vision), "
            "attachment (like, satisfied, devotion, grateful, would miss), overall (all eight)."
        ),
        columns=[_("Index"), _("Mean (0–100)")],
        rows=rows,
        chart=chart,
    )


def _questions(data: Dashboard) -> Panel:
    """Each scale question (and each matrix statement): mean and top-2-box share."""
    rows = []
    for scale, score in data.scales:
        label = scale.full_label
        rows.append(
            [
                label,
                scale.kind_label,
                reference_label(score.n) if score.small_sample else score.n,
                rnd(score.mean.value, 2),
                ci(score.mean, percent=False, digits=2),
                pct(score.top_two.value),
                ci(score.top_two),
            ]
        )
    chart = {
        "type": "bar",
        "numberFormat": "percent",
        "data": {
            "labels": [row[0][:30] for row in rows],
            "datasets": [
                {
                    "label": _("Top-2-box share (%)"),
                    "data": [row[5] for row in rows],
                    "backgroundColor": COLOURS["primary"],
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": {"min": 0, "max": 100}},
            "plugins": {"legend": {"display": False}},
        },
    }
    return Panel(
        name="questions",
        title=_("Scale questions"),
        description=_(
            "CSAT, CES, agreement and Likert questions, and each statement of a matrix: the mean "
            "answer with its 95% interval (Student's t) and the top-2-box share, the share of "
            "answers on the two highest points (4–5 of 5, 6–7 of 7; Wilson interval)."
        ),
        columns=[
            _("Question"),
            _("Kind"),
            _("Answers (n)"),
            _("Mean"),
            _("95% CI"),
            _("Top-2-box share (%)"),
            _("95% CI"),
        ],
        rows=rows,
        chart=chart if rows else None,
    )


OUTCOME_LABELS = {
    "repeat": lambda: _("Repeat purchase"),
    "churn": lambda: _("Churn"),
    "referral": lambda: _("Referral"),
    "review": lambda: _("Review"),
}


def _outcome_columns() -> list[str]:
    columns = [_("Group"), _("Customers (n)")]
    for name in ("repeat", "churn", "referral", "review"):
        label = OUTCOME_LABELS[name]()
        columns += [f"{label} (%)", f"{label} 95% CI"]
    columns += [_("Average spend (yen)"), _("Spend 95% CI")]
    return columns


def _outcome_row(label: str, outcomes: Any) -> list[Any]:
    row: list[Any] = [label, outcomes.n]
    for name in ("repeat", "churn", "referral", "review"):
        estimate = getattr(outcomes, name)
        row += [pct(estimate.value), ci(estimate)]
    row += [rnd(outcomes.spend.value, 0), ci(outcomes.spend, percent=False)]
    return row


def _outcome_chart(labels: list[str], groups: list[Any]) -> dict[str, Any]:
    return {
        "type": "bar",
        "numberFormat": "percent",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": f"{OUTCOME_LABELS[name]()} (%)",
                    "data": [pct(getattr(g, name).value) for g in groups],
                    "backgroundColor": COLOURS[name],
                    "errorBars": [
                        [pct(getattr(g, name).low), pct(getattr(g, name).high)] for g in groups
                    ],
                }
                for name in ("repeat", "churn", "referral", "review")
            ],
        },
        "options": {"scales": {"y": {"min": 0, "suggestedMax": 100}}},
    }


def _window_note(data: Dashboard) -> str:
    return _(
        "Behaviour in the %(days)s days after answering (repeat purchase, churn, referral, "
        "review, spend), per response with a known customer. Recent answers have had less time."
    ) % {"days": data.filters.window_days}


def _by_category(data: Dashboard) -> Panel:
    groups = [data.by_category[c] for c in CATEGORIES]
    labels = [category_label(c) for c in CATEGORIES]
    return Panel(
        name="linkage_category",
        title=_("What they did after answering, by NPS category"),
        description=_window_note(data),
        columns=_outcome_columns(),
        rows=[_outcome_row(label, g) for label, g in zip(labels, groups, strict=True)],
        chart=_outcome_chart(labels, groups),
        notes=[
            _("Intervals: Wilson %(level)s for shares, t/normal %(level)s for average spend.")
            % {"level": "95%"}
            + (" " + _("Computed from the raw data for this window.") if data.linkage_live else "")
        ],
    )


def _differences(data: Dashboard) -> Panel:
    rows = []
    for item in data.category_differences:
        label = f"{category_label(item['a'])} − {category_label(item['b'])}"
        for name in ("repeat", "churn", "referral", "review", "spend"):
            diff = item["differences"][name]
            scale = 1 if name == "spend" else 100
            rows.append(
                [
                    label,
                    OUTCOME_LABELS[name]() if name != "spend" else _("Average spend (yen)"),
                    rnd(diff.value * scale if diff.value is not None else None),
                    rnd(diff.low * scale if diff.low is not None else None),
                    rnd(diff.high * scale if diff.high is not None else None),
                    _("yes") if diff.significant else "",
                ]
            )
    return Panel(
        name="linkage_differences",
        title=_("Differences between NPS categories"),
        description=_(
            "Differences in percentage points (spend in yen) with %(level)s intervals: Newcombe "
            "for shares, Welch for spend. “Significant” when the interval excludes 0."
        )
        % {"level": "95%"},
        columns=[
            _("Comparison"),
            _("Outcome"),
            _("Difference"),
            _("CI low"),
            _("CI high"),
            _("Significant"),
        ],
        rows=rows,
    )


def _by_band(data: Dashboard) -> Panel:
    labels = [band["label"] for band in data.by_band]
    groups = [band["outcomes"] for band in data.by_band]
    return Panel(
        name="linkage_band",
        title=_("What they did after answering, by awareness-index band"),
        description=_window_note(data),
        columns=_outcome_columns(),
        rows=[_outcome_row(label, g) for label, g in zip(labels, groups, strict=True)],
        chart=_outcome_chart(labels, groups),
    )


def _flow(data: Dashboard) -> Panel:
    rows = [
        [
            step["label"],
            step["n"],
            rnd(step["nps"].nps),
            rnd(step["nps"].ci_low),
            rnd(step["nps"].ci_high),
            rnd(step["csat"], 2),
            "、".join(f"{t['name']} ({t['negative']})" for t in step["negative_topics"]),
        ]
        for step in data.flow
    ]
    chart = {
        "type": "bar",
        "numberFormat": "decimal1",
        "data": {
            "labels": [row[0] for row in rows],
            "datasets": [
                {
                    "label": "NPS",
                    "data": [row[2] for row in rows],
                    "backgroundColor": [
                        COLOURS["detractor"] if (row[2] or 0) < 0 else COLOURS["primary"]
                        for row in rows
                    ],
                }
            ],
        },
        "options": {
            "plugins": {"legend": {"display": False}},
            "scales": {"y": {"suggestedMin": -100, "suggestedMax": 100}},
        },
    }
    return Panel(
        name="flow",
        title=_("Customer-experience flow"),
        description=_(
            "Touchpoints in journey order, each with its responses, NPS, CSAT (1–5) and the "
            "topics of its negative feedback: where it hurts first."
        ),
        columns=[
            _("Touchpoint"),
            _("Responses"),
            "NPS",
            _("CI low"),
            _("CI high"),
            "CSAT",
            _("Top negative topics (items)"),
        ],
        rows=rows,
        chart=chart,
    )


def _measure(measure: Any) -> list[Any]:
    return [measure.value, measure.low, measure.high]


def _effect_columns() -> list[str]:
    return [
        _("Rank"),
        _("Topic"),
        _("Net behaviour effect (points)"),
        _("CI low"),
        _("CI high"),
        _("q (Benjamini–Hochberg)"),
        _("Churn difference (points)"),
        _("Repeat difference (points)"),
        _("NPS difference (points)"),
        _("Customers who raised it (n)"),
        _("Other customers (n)"),
        _("Items"),
        _("Positive items (%)"),
    ]


def _effect_row(topic: TopicEffect) -> list[Any]:
    return [
        topic.rank if topic.rank is not None else topic.kind_label,
        topic.name,
        *_measure(topic.effect),
        topic.q_value,
        topic.churn_diff.value,
        topic.repeat_diff.value,
        topic.nps_diff.value,
        topic.customers,
        topic.other_customers,
        topic.items,
        topic.positive_share,
    ]


def _effect_description(data: Dashboard) -> str:
    minimum = data.ranking.min_customers if data.ranking else 0
    return _(
        "Net behaviour effect = (churn rate − repeat rate) of the customers who raised the "
        "topic minus that of every other customer who answered or commented in the same "
        "filters, in the %(days)s days after their first answer or comment (percentage "
        "points; positive = they churn more or buy again less). 95%% interval: Welch; q: "
        "Benjamini–Hochberg over the topics tested together. Topics with fewer than "
        "%(n)s customers are reference values, out of the ranking."
    ) % {"days": data.filters.window_days, "n": minimum}


def _effect_panel(
    data: Dashboard, name: str, title: str, topics: list[TopicEffect], colour: str
) -> Panel:
    rows = [_effect_row(topic) for topic in topics]
    chart = {
        "type": "bar",
        "numberFormat": "decimal1",
        "data": {
            "labels": [f"{row[0]}. {row[1]}" for row in rows],
            "datasets": [
                {
                    "label": _("Net behaviour effect (points)"),
                    "data": [row[2] for row in rows],
                    "backgroundColor": colour,
                    "errorBars": [[row[3], row[4]] for row in rows],
                }
            ],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
    }
    return Panel(
        name=name,
        title=title,
        description=_effect_description(data),
        columns=_effect_columns(),
        rows=rows,
        chart=chart if rows else None,
    )


def _topics(data: Dashboard, name: str, topics: list[TopicEffect], title: str) -> Panel:
    """Topics by volume, with the same figures as the ranking."""
    rows = [
        [
            topic.name,
            topic.items,
            topic.kind_label if topic.rank is None else f"{topic.kind_label} {topic.rank}",
            topic.nps,
            *_measure(topic.effect),
            topic.churn_rate,
            topic.churn_rate_others,
            topic.repeat_rate,
            topic.repeat_rate_others,
            topic.positive_share,
        ]
        for topic in topics
    ]
    chart = {
        "type": "bar",
        "numberFormat": "count",
        "data": {
            "labels": [row[0] for row in rows],
            "datasets": [
                {
                    "label": _("Items"),
                    "data": [row[1] for row in rows],
                    "backgroundColor": COLOURS["primary"],
                }
            ],
        },
        "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
    }
    return Panel(
        name=name,
        title=title,
        description=_effect_description(data),
        columns=[
            _("Topic"),
            _("Items"),
            _("Ranking"),
            _("NPS of raisers"),
            _("Net behaviour effect (points)"),
            _("CI low"),
            _("CI high"),
            _("Churn, raised (%)"),
            _("Churn, others (%)"),
            _("Repeat, raised (%)"),
            _("Repeat, others (%)"),
            _("Positive items (%)"),
        ],
        rows=rows,
        chart=chart,
    )
