"""The options of each question kind, in the page's language, and the form's field names."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.models import CHOICE_KINDS, OTHER_VALUE, Question, QuestionKind

AGREEMENT_LABELS = [
    (5, gettext_lazy("Agree")),
    (4, gettext_lazy("Somewhat agree")),
    (3, gettext_lazy("Neither agree nor disagree")),
    (2, gettext_lazy("Somewhat disagree")),
    (1, gettext_lazy("Disagree")),
]
RATING_LABELS = [
    (5, gettext_lazy("Very satisfied")),
    (4, gettext_lazy("Satisfied")),
    (3, gettext_lazy("Neither satisfied nor dissatisfied")),
    (2, gettext_lazy("Dissatisfied")),
    (1, gettext_lazy("Very dissatisfied")),
]


CES_LABELS = [
    (7, gettext_lazy("Very easy")),
    (6, gettext_lazy("Easy")),
    (5, gettext_lazy("Somewhat easy")),
    (4, gettext_lazy("Neither easy nor difficult")),
    (3, gettext_lazy("Somewhat difficult")),
    (2, gettext_lazy("Difficult")),
    (1, gettext_lazy("Very difficult")),
]
LIKERT7_LABELS = [
    (7, gettext_lazy("Strongly agree")),
    (6, gettext_lazy("Agree")),
    (5, gettext_lazy("Somewhat agree")),
    (4, gettext_lazy("Neither agree nor disagree")),
    (3, gettext_lazy("Somewhat disagree")),
    (2, gettext_lazy("Disagree")),
    (1, gettext_lazy("Strongly disagree")),
]


def field_name(question: Question) -> str:
    return f"q-{question.key}"


def scale_labels(question: Question) -> list[tuple[str, str]]:
    """The options of a scale question (Likert and matrix: 5 or 7 points)."""
    if question.points == 7:
        return [(str(v), str(label)) for v, label in LIKERT7_LABELS]
    return [(str(v), str(label)) for v, label in AGREEMENT_LABELS]


def _with_ends(question: Question, labels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The scale's options with the end labels the builder set (in the page's language)."""
    low, high = question.scale_ends()
    top, bottom = str(question.points), "1"
    return [
        (v, high if v == top and high else low if v == bottom and low else label)
        for v, label in labels
    ]


def options(question: Question) -> list[tuple[str, str]]:
    """The options as (value, label in the page's language); answers store the value."""
    kind = question.kind
    if kind == QuestionKind.NPS:
        return [(str(i), str(i)) for i in range(11)]
    fixed = {
        QuestionKind.AGREEMENT: AGREEMENT_LABELS,
        QuestionKind.RATING: RATING_LABELS,
        QuestionKind.CES: CES_LABELS,
    }
    if kind in fixed:
        return _with_ends(question, [(str(v), str(label)) for v, label in fixed[kind]])
    if kind in (QuestionKind.LIKERT, QuestionKind.MATRIX):
        return _with_ends(question, scale_labels(question))
    if kind in CHOICE_KINDS:
        out = [(c.value, c.display_label) for c in question.choices.all()]
        if question.allows_other and kind != QuestionKind.RANKING:
            out.append((OTHER_VALUE, _("Other")))
        return out
    return []


def part_name(question: Question, part: str) -> str:
    return f"{field_name(question)}-{part}"
