"""Wave vs wave (or period vs period, store vs store, segment vs segment): two sides compared.

Each side is the shared filters (``AnalysisFilters``) with its own values on top. For each side:

- **NPS** as the mean of the per-respondent NPS value (promoter +100, passive 0, detractor −100),
  which is exactly the NPS; its 95% interval is Student's t from the sample variance, and the
  change between the sides is tested with Welch's t-test (``scipy.stats.ttest_ind_from_stats``,
  through ``engagement.platform.statistics.mean_difference``) with its Welch–Satterthwaite
  interval.
- **Each numeric question** (NPS 0–10) and **each scale item** (CSAT, CES, agreement, Likert and
  every matrix statement on its own, ``engagement.dashboard.analysis.scales``), matched across
  surveys by its key (the template gives every wave the same keys): mean, t interval, Welch's
  test of the change; and for the scale items the **top-2-box share** with the Wilson interval,
  Newcombe's interval for the change and the two-proportion test.
- **Wording**: a compared question worded differently in the two sides' surveys, or reworded
  while its survey was answered (``surveys.versions.wording_changes_between``), is listed so
  the change is read with care.
- **Each VoC topic**: the share of the side's respondents whose answers fall in the topic, with
  the Wilson interval; the change with Newcombe's interval and the two-proportion test (Pearson's
  chi-square of the 2 × 2 table); p-values over all topics adjusted by Benjamini–Hochberg.

Every figure is aggregated in the database (counts, sums and sums of squares); a side with fewer
than 30 respondents carries a small-sample warning, and its differences are never called
significant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from engagement.dashboard.analysis import scales
from engagement.platform import statistics
from engagement.platform.statistics import SMALL_SAMPLE, Difference, Estimate
from surveys.filters import AnalysisFilters, responses
from surveys.models import Answer, NpsCategory, Question, QuestionKind
from surveys.scoring import scale_score
from surveys.versions import WordingChange, wording_changes_between
from voc.filters import survey_items
from voc.models import Topic

NUMERIC_KINDS = (QuestionKind.NPS,)  # scale kinds: ``scales``
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Row:
    """One figure on both sides and its change (``b − a``)."""

    key: str
    label: str
    a: Estimate
    b: Estimate
    difference: Difference
    adjusted_p: float | None = None

    @property
    def small_sample(self) -> bool:
        return self.a.small_sample or self.b.small_sample

    @property
    def significant(self) -> bool:
        p = self.adjusted_p if self.adjusted_p is not None else self.difference.p_value
        return p is not None and p < SIGNIFICANCE and not self.small_sample


@dataclass
class Comparison:
    a: AnalysisFilters
    b: AnalysisFilters
    n_a: int = 0
    n_b: int = 0
    nps: Row | None = None
    questions: list[Row] = field(default_factory=list)
    top_boxes: list[Row] = field(default_factory=list)  # top-2-box shares of the scale items
    topics: list[Row] = field(default_factory=list)
    # Compared questions worded differently on the two sides, or reworded while answered.
    wording_changes: list[WordingChange] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        messages = []
        for name, n in ((_("A"), self.n_a), (_("B"), self.n_b)):
            if n < SMALL_SAMPLE:
                messages.append(
                    _(
                        "Side %(side)s has only %(n)s respondents (fewer than %(min)s): its "
                        "figures are uncertain and no difference is called significant."
                    )
                    % {"side": name, "n": f"{n:,}", "min": SMALL_SAMPLE}
                )
        return messages


def _flip(d: Difference) -> Difference:
    """``a − b`` as ``b − a`` (the statistics module subtracts its second argument)."""
    if d.value is None:
        return d
    return Difference(
        -d.value,
        None if d.high is None else -d.high,
        None if d.low is None else -d.low,
        d.p_value,
    )


def _nps_moments(side: Any) -> Estimate:
    counts = side.aggregate(
        promoters=Count("pk", filter=Q(nps_category=NpsCategory.PROMOTER)),
        detractors=Count("pk", filter=Q(nps_category=NpsCategory.DETRACTOR)),
        scored=Count("pk", filter=~Q(nps_category="")),
    )
    promoters, detractors = counts["promoters"], counts["detractors"]
    return statistics.mean_from_moments(
        100 * (promoters - detractors), 10000 * (promoters + detractors), counts["scored"]
    )


def _question_moments(side: Any) -> dict[str, Estimate]:
    rows = (
        Answer.objects.filter(
            response__in=side.values("pk"),
            number__isnull=False,
            question__kind__in=NUMERIC_KINDS,
        )
        .values("question__key")
        .annotate(n=Count("pk"), total=Sum("number"), total_sq=Sum(F("number") * F("number")))
        .order_by("question__key")
    )
    return {
        row["question__key"]: statistics.mean_from_moments(row["total"], row["total_sq"], row["n"])
        for row in rows
    }


def question_labels(keys: set[str]) -> dict[str, str]:
    """The text of the most recent question with each key."""
    labels: dict[str, str] = {}
    for key, text in (
        Question.objects.filter(key__in=keys)
        .order_by("key", "-survey__created_at", "-id")
        .values_list("key", "text")
    ):
        labels.setdefault(key, text)
    return labels


def _topic_counts(side_filters: AnalysisFilters, user: Any) -> dict[int, int]:
    return {
        row["topic_id"]: row["n"]
        for row in survey_items(side_filters, user=user)
        .filter(topic__isnull=False)
        .values("topic_id")
        .annotate(n=Count("response_id", distinct=True))
        .order_by("topic_id")
    }


def _scale_rows(result: Comparison, side_a: Any, side_b: Any) -> None:
    """Mean and top-2-box rows of every scale item answered on either side."""
    counted_a, counted_b = scales.counts(side_a), scales.counts(side_b)
    keys = {code.split(scales.ROW_SEPARATOR, 1)[0] for code in {*counted_a, *counted_b}}
    for scale in scales.scale_items(keys):
        if scale.code not in counted_a and scale.code not in counted_b:
            continue
        sa = scale_score(counted_a.get(scale.code, {}), points=scale.points)
        sb = scale_score(counted_b.get(scale.code, {}), points=scale.points)
        label = scale.full_label
        result.questions.append(
            Row(
                scale.code,
                label,
                sa.mean,
                sb.mean,
                _flip(statistics.mean_difference(sa.mean, sb.mean)),
            )
        )
        result.top_boxes.append(
            Row(
                scale.code,
                label,
                sa.top_two,
                sb.top_two,
                _flip(statistics.proportion_difference(sa.top_two, sb.top_two)),
            )
        )


def compare(*, a: AnalysisFilters, b: AnalysisFilters, user: Any) -> Comparison:
    """The two sides compared (``b − a``), over the rows ``user`` may see."""
    side_a, side_b = responses(a, user=user), responses(b, user=user)
    result = Comparison(a=a, b=b, n_a=side_a.count(), n_b=side_b.count())

    nps_a, nps_b = _nps_moments(side_a), _nps_moments(side_b)
    result.nps = Row("nps", _("NPS"), nps_a, nps_b, _flip(statistics.mean_difference(nps_a, nps_b)))

    means_a, means_b = _question_moments(side_a), _question_moments(side_b)
    keys = set(means_a) | set(means_b)
    labels = question_labels(keys)
    empty = statistics.mean(None, 0, None)
    for key in sorted(keys):
        ea, eb = means_a.get(key, empty), means_b.get(key, empty)
        result.questions.append(
            Row(key, labels.get(key, key), ea, eb, _flip(statistics.mean_difference(ea, eb)))
        )

    _scale_rows(result, side_a, side_b)
    compared = {row.key.split(scales.ROW_SEPARATOR, 1)[0] for row in result.questions}
    result.wording_changes = wording_changes_between(
        surveys_a=side_a.values("survey_id"), surveys_b=side_b.values("survey_id"), keys=compared
    )

    counts_a, counts_b = _topic_counts(a, user), _topic_counts(b, user)
    topic_ids = set(counts_a) | set(counts_b)
    names = dict(Topic.objects.filter(id__in=topic_ids).values_list("id", "name"))
    topics = []
    for topic_id in topic_ids:
        ea = statistics.proportion(counts_a.get(topic_id, 0), result.n_a)
        eb = statistics.proportion(counts_b.get(topic_id, 0), result.n_b)
        diff = _flip(statistics.proportion_difference(ea, eb))
        topics.append(Row(str(topic_id), names.get(topic_id, "?"), ea, eb, diff))
    adjusted = statistics.adjust_p_values([row.difference.p_value for row in topics])
    result.topics = sorted(
        (
            Row(r.key, r.label, r.a, r.b, r.difference, q)
            for r, q in zip(topics, adjusted, strict=True)
        ),
        key=lambda r: (-abs(r.difference.value or 0), r.label, r.key),
    )
    return result


# --- tables (page, API, CSV and xlsx share them) -------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _estimate_cells(e: Estimate, scale: float, digits: int) -> list[Any]:
    def scaled(v: float | None) -> float | None:
        return None if v is None else round(v * scale, digits)

    return [scaled(e.value), scaled(e.low), scaled(e.high), e.n]


def table_columns() -> list[str]:
    return [
        _("Section"),
        _("Item"),
        _("A"),
        _("A CI low"),
        _("A CI high"),
        _("A n"),
        _("B"),
        _("B CI low"),
        _("B CI high"),
        _("B n"),
        _("Difference (B − A)"),
        _("Difference CI low"),
        _("Difference CI high"),
        _("p-value"),
        _("Significant (5%)"),
        _("Small sample"),
    ]


def _row_cells(section: str, row: Row, scale: float, digits: int) -> list[Any]:
    d = row.difference

    def scaled(v: float | None) -> float | None:
        return None if v is None else round(v * scale, digits)

    p = row.adjusted_p if row.adjusted_p is not None else d.p_value
    return [
        section,
        row.label,
        *_estimate_cells(row.a, scale, digits),
        *_estimate_cells(row.b, scale, digits),
        scaled(d.value),
        scaled(d.low),
        scaled(d.high),
        _round(p, 4),
        _("yes") if row.significant else "",
        _("yes") if row.small_sample else "",
    ]


def table_rows(result: Comparison) -> list[list[Any]]:
    """NPS, question means (2 decimals), top-2-box shares and topic shares (in %, 1 decimal),
    one row each."""
    rows = []
    if result.nps is not None:
        rows.append(_row_cells(_("NPS"), result.nps, 1, 1))
    for row in result.questions:
        rows.append(_row_cells(_("Question mean"), row, 1, 2))
    for row in result.top_boxes:
        rows.append(_row_cells(_("Top-2-box share (%)"), row, 100, 1))
    for row in result.topics:
        rows.append(_row_cells(_("Topic share (%)"), row, 100, 1))
    return rows
