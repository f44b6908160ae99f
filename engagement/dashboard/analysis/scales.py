"""Scale questions over a set of responses: CSAT, CES, agreement, Likert and each matrix statement.

Each item is a question key (matched across surveys, as the template gives every wave the same
keys) or, for a matrix, ``<key>:<statement value>``: every statement is an item of its own. Its
scores are ``surveys.scoring.scale_score`` (mean and top-2-box share); the dashboard's question
panel, the comparison and the crosstab all read them from here.

Answers are counted in the database by value (at most seven groups per item); matrix answers
(``{statement: answer}`` in one JSON column) are grouped by their whole value and split by
statement here. Answers given in
any language version count together: they are stored by question and statement key.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from surveys.models import Answer, Question, QuestionKind
from surveys.scoring import SCALE_KINDS, ScaleScore, scale_score

ROW_SEPARATOR = ":"


@dataclass(frozen=True)
class ScaleItem:
    """One scored statement: a scale question, or one statement of a matrix."""

    code: str  # the question key, or "<key>:<statement value>"
    key: str
    row: str  # the matrix statement's value ("" for a plain question)
    kind: str
    points: int
    label: str  # the question, or the statement
    question: str  # the question's text (for a statement: its matrix)
    ends: tuple[str, str] = ("", "")  # the scale's end labels, if the builder set them

    @property
    def full_label(self) -> str:
        """The question, or a matrix statement followed by its matrix's question."""
        return f"{self.label}（{self.question}）" if self.row else self.label

    @property
    def kind_label(self) -> str:
        return str(QuestionKind(self.kind).label)


def _latest_questions(keys: set[str] | None = None) -> dict[str, Question]:
    """The most recent question of each scale key (its wording and points label the item)."""
    qs = Question.objects.filter(kind__in=SCALE_KINDS)
    if keys is not None:
        qs = qs.filter(key__in=keys)
    latest: dict[str, Question] = {}
    for question in qs.order_by("key", "-survey__created_at", "-id"):
        latest.setdefault(question.key, question)
    return latest


def items_of(question: Question) -> list[ScaleItem]:
    """The scored items of one question: itself, or each statement of a matrix."""
    ends = question.scale_ends()
    if question.kind != QuestionKind.MATRIX:
        return [
            ScaleItem(
                question.key,
                question.key,
                "",
                question.kind,
                question.points,
                question.text,
                question.text,
                ends,
            )
        ]
    return [
        ScaleItem(
            f"{question.key}{ROW_SEPARATOR}{row['value']}",
            question.key,
            row["value"],
            question.kind,
            question.points,
            row.get("label") or row["value"],
            question.text,
            ends,
        )
        for row in question.matrix_rows()
    ]


def scale_items(keys: set[str] | None = None) -> list[ScaleItem]:
    """Every scale item (of the given question keys), by key and statement order."""
    found: list[ScaleItem] = []
    for _key, question in sorted(_latest_questions(keys).items()):
        found.extend(items_of(question))
    return found


def item(code: str) -> ScaleItem | None:
    """The scale item named ``code`` (a question key or ``<key>:<statement>``)."""
    key = code.split(ROW_SEPARATOR, 1)[0]
    return next((i for i in scale_items({key}) if i.code == code), None)


def answer_values(responses: QuerySet, scale: ScaleItem) -> dict[int, int]:
    """Response id → its answer (1 … points) to one scale item."""
    answers = Answer.objects.filter(response__in=responses.values("pk"), question__key=scale.key)
    found: dict[int, int] = {}
    if scale.row:
        for pk, given in answers.values_list("response_id", "choices").order_by("response_id"):
            value = given.get(scale.row) if isinstance(given, dict) else None
            if isinstance(value, int) and 1 <= value <= scale.points:
                found[pk] = value
    else:
        for pk, value in (
            answers.filter(number__isnull=False)
            .values_list("response_id", "number")
            .order_by("response_id")
        ):
            if 1 <= value <= scale.points:
                found[pk] = value
    return found


def counts(responses: QuerySet) -> dict[str, Counter]:
    """Item code → ``{answer: number of answers}`` over ``responses``, in one query: answers are
    grouped by question, number and (for a matrix) the whole ``{statement: answer}`` value,
    which has few distinct values on a 5- or 7-point scale."""
    found: dict[str, Counter] = defaultdict(Counter)
    for key, kind, number, given, n in (
        Answer.objects.filter(response__in=responses.values("pk"), question__kind__in=SCALE_KINDS)
        .values_list("question__key", "question__kind", "number", "choices")
        .annotate(n=Count("pk"))
        .order_by("question__key", "number")
    ):
        if kind != QuestionKind.MATRIX:
            if number is not None:
                found[key][number] += n
        elif isinstance(given, dict):
            for row, value in given.items():
                if isinstance(value, int):
                    found[f"{key}{ROW_SEPARATOR}{row}"][value] += n
    return found


def scores(responses: QuerySet) -> list[tuple[ScaleItem, ScaleScore]]:
    """Every scale item answered in ``responses`` with its scores, by key and statement order."""
    counted = counts(responses)
    keys = {code.split(ROW_SEPARATOR, 1)[0] for code in counted}
    return [
        (scale, scale_score(counted[scale.code], points=scale.points))
        for scale in scale_items(keys)
        if scale.code in counted
    ]
