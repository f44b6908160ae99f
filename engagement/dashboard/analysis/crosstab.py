"""Crosstabs: any question by any other question, customer attribute, segment, store, wave,
touchpoint or NPS band, as counts and percentages with significance markers.

A dimension is named by a string: ``q:<question key>`` (NPS 0–10, CSAT, CES, agreement,
Likert, single or multiple choice, dropdown, matched across surveys by key), ``q:<matrix
key>:<statement>`` (each statement of a matrix on its own), ``attr:<attribute name>`` (a
customer attribute; attributes that identify a person — phone, address, name, mail, birth… —
are never offered),
``segment``, ``wave``, ``touchpoint``, ``nps_band`` or ``language`` (the survey version
answered: answers of every version are counted together under their question).

The table counts respondents (a multiple-choice answer counts once under each chosen value);
respondents without a value on either dimension are left out and counted. Significance: Pearson's
chi-square test of independence of the whole table (``scipy.stats.chi2_contingency``, through
``engagement.platform.statistics.chi_square``), and for each cell the adjusted standardised
residual (Haberman): ``(O − E) / sqrt(E · (1 − row share) · (1 − column share))``; a cell is
marked ▲ (more than expected) or ▼ (fewer) when |residual| > 1.96 (5%, two-sided). With a
multiple-choice dimension the cells are not independent, so neither the test nor the markers are
shown. Cells with an expected count under 5 are flagged, as the chi-square approximation is weak
there.

When the rows are a scale item (CSAT, CES, agreement, Likert or a matrix statement), each column
also shows the item's scores (``surveys.scoring.scale_score``): the mean with its 95% interval
and the top-2-box share.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.utils.translation import gettext as _

from engagement.customers.models import Customer, Touchpoint
from engagement.dashboard.analysis import scales
from engagement.platform import statistics
from engagement.platform.masking import EMAIL_RE, PHONE_RE
from surveys.filters import AnalysisFilters, responses
from surveys.links import PublicLink, UrlParameter
from surveys.models import Answer, Choice, NpsCategory, Question, QuestionKind, Wave
from surveys.scoring import ScaleScore, scale_score

QUESTION_KINDS = (
    QuestionKind.NPS,
    QuestionKind.AGREEMENT,
    QuestionKind.RATING,
    QuestionKind.CES,
    QuestionKind.LIKERT,
    QuestionKind.SINGLE_CHOICE,
    QuestionKind.MULTIPLE_CHOICE,
    QuestionKind.DROPDOWN,
)
IDENTIFYING_KEYS = re.compile(
    r"phone|tel|mobile|mail|address|name|birth|id$|電話|携帯|住所|氏名|名前|メール|生年月日", re.I
)
# URL parameters that point at one order or person are no segment (order=A123).
IDENTIFYING_PARAMETERS = re.compile(
    r"order|receipt|number|no$|code$|token|" + IDENTIFYING_KEYS.pattern, re.I
)
Z_MARK = float(statistics.Z95)
MAX_VALUES = 50  # a dimension with more distinct values keeps the 50 largest
ATTRIBUTE_SAMPLE = 1000


class UnknownDimension(ValueError):
    pass


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str
    multiple: bool = False
    scale: scales.ScaleItem | None = None  # a scale question or matrix statement


def dimension_choices() -> list[tuple[str, str]]:
    """Every dimension a crosstab can use: (code, label)."""
    found: list[tuple[str, str]] = [
        ("segment", _("Segment")),
        ("wave", _("Wave")),
        ("touchpoint", _("Touchpoint")),
        ("nps_band", _("NPS band")),
        ("language", _("Language version")),
        ("link", _("Store or campaign link")),
    ]
    for key in UrlParameter.objects.order_by("key").values_list("key", flat=True).distinct():
        if not IDENTIFYING_PARAMETERS.search(key):
            found.append((f"param:{key}", _("URL parameter: %(name)s") % {"name": key}))
    seen: set[str] = set()
    for key, text in (
        Question.objects.filter(kind__in=QUESTION_KINDS)
        .order_by("key", "-survey__created_at", "-id")
        .values_list("key", "text")
    ):
        if key not in seen:
            seen.add(key)
            found.append((f"q:{key}", _("Question: %(text)s") % {"text": text[:60]}))
    for scale in scales.scale_items():
        if scale.row:
            found.append(
                (
                    f"q:{scale.code}",
                    _("Statement: %(text)s")
                    % {"text": f"{scale.label[:40]}（{scale.question[:20]}）"},
                )
            )
    names: set[str] = set()
    for attributes in Customer.objects.order_by("-id").values_list("attributes", flat=True)[
        :ATTRIBUTE_SAMPLE
    ]:
        if isinstance(attributes, dict):
            names.update(str(k) for k in attributes)
    for name in sorted(names):
        if not IDENTIFYING_KEYS.search(name):
            found.append((f"attr:{name}", _("Customer attribute: %(name)s") % {"name": name}))
    return found


def dimension(code: str) -> Dimension:
    labels = dict(dimension_choices())
    if code not in labels:
        raise UnknownDimension(code)
    multiple = False
    scale = None
    if code.startswith("q:"):
        multiple = Question.objects.filter(key=code[2:], kind=QuestionKind.MULTIPLE_CHOICE).exists()
        scale = scales.item(code[2:])
    return Dimension(code, labels[code], multiple, scale)


def _json_key_values(side: QuerySet, column: str, key: str) -> list[tuple[int, str]]:
    """(response id, the text of ``key`` in the JSON ``column``) where it is set and not blank."""
    found = (
        side.annotate(_value=KeyTextTransform(key, column))
        .exclude(_value__isnull=True)
        .values_list("pk", "_value")
    )
    return [(pk, text) for pk, value in found if (text := str(value).strip())]


def _values(dim: Dimension, side: QuerySet) -> tuple[dict[int, list[str]], dict[str, str]]:
    """Response id → the dimension's values, and value → its label."""
    values: dict[int, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    code = dim.code
    if code == "segment":
        for pk, segment in side.values_list("pk", "customer__segment"):
            if segment:
                values[pk].append(segment)
    elif code == "wave":
        for pk, wave_id in side.values_list("pk", "survey__wave_id"):
            values[pk].append(str(wave_id))
        labels = {str(w.id): w.name for w in Wave.objects.order_by("starts_on", "id")}
    elif code == "touchpoint":
        for pk, touchpoint in side.values_list("pk", "touchpoint"):
            if touchpoint:
                values[pk].append(touchpoint)
        labels = {value: str(label) for value, label in Touchpoint.choices}
    elif code == "nps_band":
        for pk, band in side.values_list("pk", "nps_category"):
            if band:
                values[pk].append(band)
        labels = {value: str(label) for value, label in NpsCategory.choices}
    elif code == "language":
        for pk, language in side.values_list("pk", "language"):
            values[pk].append(language or "ja")
        labels = {value: str(label) for value, label in settings.LANGUAGES}
    elif code == "link":
        for pk, link_id in side.exclude(public_link__isnull=True).values_list("pk", "public_link"):
            values[pk].append(str(link_id))
        labels = {
            str(pk): name
            for pk, name in PublicLink.objects.order_by("name").values_list("pk", "name")
        }
    elif code.startswith("param:"):
        for pk, text in _json_key_values(side, "url_params", code[6:]):
            values[pk].append(text)
    elif code.startswith("attr:"):
        for pk, text in _json_key_values(side, "customer__attributes", code[5:]):
            if not (PHONE_RE.search(text) or EMAIL_RE.search(text)):
                values[pk].append(text)
    elif dim.scale is not None:
        for pk, number in scales.answer_values(side, dim.scale).items():
            values[pk].append(str(number))
        low, high = dim.scale.ends
        labels = {str(v): str(v) for v in range(1, dim.scale.points + 1)}
        if low:
            labels["1"] = f"1（{low}）"
        if high:
            labels[str(dim.scale.points)] = f"{dim.scale.points}（{high}）"
    elif code.startswith("q:"):
        key = code[2:]
        for pk, number, choices in Answer.objects.filter(
            response__in=side.values("pk"), question__key=key
        ).values_list("response_id", "number", "choices"):
            if number is not None:
                values[pk].append(str(number))
            elif isinstance(choices, list):
                values[pk].extend(str(c) for c in choices)
        for value, label in (
            Choice.objects.filter(question__key=key)
            .order_by("-question__survey__created_at", "position")
            .values_list("value", "label")
        ):
            labels.setdefault(value, label)
    return values, labels


def _order(counts: Counter, labels: dict[str, str]) -> list[str]:
    kept = [value for value, _n in counts.most_common(MAX_VALUES)]
    position = {value: i for i, value in enumerate(labels)}

    def key(value: str) -> tuple[int, float, str]:
        if value in position:
            return (0, position[value], value)
        try:
            return (1, float(value), value)
        except ValueError:
            return (2, 0.0, value)

    return sorted(kept, key=key)


@dataclass
class Cell:
    count: int
    column_share: float | None
    row_share: float | None
    residual: float | None = None
    low_expected: bool = False

    @property
    def marker(self) -> str:
        if self.residual is None or abs(self.residual) <= Z_MARK:
            return ""
        return "▲" if self.residual > 0 else "▼"


@dataclass
class Crosstab:
    rows: Dimension
    columns: Dimension
    row_values: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    column_values: list[tuple[str, str]] = field(default_factory=list)
    cells: list[list[Cell]] = field(default_factory=list)
    row_totals: list[int] = field(default_factory=list)
    column_totals: list[int] = field(default_factory=list)
    total: int = 0
    respondents: int = 0
    left_out: int = 0
    chi2: float | None = None
    p_value: float | None = None
    dof: int | None = None
    # When the rows are a scale item: its scores in each column, and over every column.
    column_scores: list[ScaleScore] = field(default_factory=list)
    total_score: ScaleScore | None = None

    @property
    def tested(self) -> bool:
        return self.p_value is not None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < 0.05

    @property
    def small_sample(self) -> bool:
        return self.respondents < statistics.SMALL_SAMPLE


def adjusted_residuals(observed: np.ndarray) -> np.ndarray:
    """Haberman's adjusted standardised residuals of a contingency table."""
    total = observed.sum()
    row = observed.sum(axis=1, keepdims=True)
    col = observed.sum(axis=0, keepdims=True)
    expected = row @ col / total
    variance = expected * (1 - row / total) * (1 - col / total)
    with np.errstate(divide="ignore", invalid="ignore"):
        residuals = (observed - expected) / np.sqrt(variance)
    return np.where(variance > 0, residuals, 0.0)


def crosstab(*, rows: str, columns: str, filters: AnalysisFilters, user: Any) -> Crosstab:
    """The crosstab of two dimensions over the responses ``user`` may see."""
    row_dim, col_dim = dimension(rows), dimension(columns)
    side = responses(filters, user=user)
    row_map, row_labels = _values(row_dim, side)
    col_map, col_labels = _values(col_dim, side)
    result = Crosstab(rows=row_dim, columns=col_dim)
    pairs: Counter = Counter()
    row_counter: Counter = Counter()
    col_counter: Counter = Counter()
    respondents = 0
    for pk, row_values in row_map.items():
        col_values = col_map.get(pk)
        if not col_values:
            continue
        respondents += 1
        for r in set(row_values):
            row_counter[r] += 1
            for c in set(col_values):
                pairs[(r, c)] += 1
        for c in set(col_values):
            col_counter[c] += 1
    everyone = len(set(row_map) | set(col_map))
    result.respondents = respondents
    result.left_out = everyone - respondents
    row_order, col_order = _order(row_counter, row_labels), _order(col_counter, col_labels)
    result.row_values = [(v, row_labels.get(v, v)) for v in row_order]
    result.column_values = [(v, col_labels.get(v, v)) for v in col_order]
    if not row_order or not col_order:
        return result
    observed = np.array([[pairs[(r, c)] for c in col_order] for r in row_order], dtype=float)
    result.row_totals = [int(x) for x in observed.sum(axis=1)]
    result.column_totals = [int(x) for x in observed.sum(axis=0)]
    result.total = int(observed.sum())
    independent = not (row_dim.multiple or col_dim.multiple)
    residuals = adjusted_residuals(observed) if independent and result.total else None
    expected = (
        observed.sum(axis=1, keepdims=True) @ observed.sum(axis=0, keepdims=True) / result.total
        if result.total
        else np.zeros_like(observed)
    )
    for i, _r in enumerate(row_order):
        line = []
        for j, _c in enumerate(col_order):
            count = int(observed[i, j])
            line.append(
                Cell(
                    count=count,
                    column_share=statistics.ratio(count, result.column_totals[j]),
                    row_share=statistics.ratio(count, result.row_totals[i]),
                    residual=None if residuals is None else float(residuals[i, j]),
                    low_expected=bool(expected[i, j] < 5),
                )
            )
        result.cells.append(line)
    if row_dim.scale is not None:
        points = row_dim.scale.points

        result.column_scores = [
            scale_score(
                {int(r): int(observed[i, j]) for i, r in enumerate(row_order)}, points=points
            )
            for j in range(len(col_order))
        ]
        # Over every column, each respondent once (a multiple-choice column counts them twice).
        result.total_score = scale_score({int(r): row_counter[r] for r in row_order}, points=points)
    if independent and len(row_order) > 1 and len(col_order) > 1:
        tested = statistics.chi_square(observed.astype(int).tolist())
        if tested is not None:
            result.chi2, result.p_value, result.dof = tested
    return result


def table(result: Crosstab) -> tuple[list[str], list[list[Any]]]:
    """Long form for downloads: one row per cell (row value, column value, count, %s, marker)."""
    columns = [
        result.rows.label,
        result.columns.label,
        _("Count"),
        _("Share of the column (%)"),
        _("Share of the row (%)"),
        _("Adjusted residual"),
        _("Marker"),
    ]
    rows = []
    for (_rv, row_label), line in zip(result.row_values, result.cells, strict=True):
        for (_cv, col_label), cell in zip(result.column_values, line, strict=True):
            rows.append(
                [
                    row_label,
                    col_label,
                    cell.count,
                    None if cell.column_share is None else round(cell.column_share * 100, 1),
                    None if cell.row_share is None else round(cell.row_share * 100, 1),
                    None
                    if cell.residual is None or math.isnan(cell.residual)
                    else round(cell.residual, 2),
                    cell.marker,
                ]
            )
    return columns, rows
