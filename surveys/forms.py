"""Customer-side forms: one form per survey page, built from that page's visible questions.

The form only parses and checks what the customer sent; ``services.save_answers`` validates
again and saves. Field names are ``q-<question key>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.flow import other_text_key
from surveys.models import CHOICE_KINDS, OTHER_VALUE, TEXT_KINDS, Question, QuestionKind
from surveys.services import clean_text

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


def _sub(question: Question, part: str) -> str:
    return f"{field_name(question)}-{part}"


class FreeTextField(forms.CharField):
    """Text kept exactly as typed (no stripping, no normalisation) minus control characters."""

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        return clean_text(value) if value else value

    def validate(self, value: Any) -> None:
        if self.required and not (value or "").strip():
            raise forms.ValidationError(self.error_messages["required"], code="required")


class PageForm(forms.Form):
    def __init__(self, *args: Any, questions: list[Question], lenient: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.questions = questions
        self.lenient = lenient
        required_message = _("Please answer this question.")
        choice_message = _("Please choose one of the options.")
        for q in questions:
            required = q.required and not lenient
            messages = {"required": required_message, "invalid_choice": choice_message}
            if q.kind in TEXT_KINDS:
                f: forms.Field = FreeTextField(
                    required=required,
                    strip=False,
                    max_length=q.max_length,
                    error_messages={
                        "required": required_message,
                        "max_length": _(
                            "Please keep your answer within %(limit_value)d characters "
                            "(now %(show_value)d)."
                        ),
                    },
                )
            elif q.kind == QuestionKind.MULTIPLE_CHOICE:
                f = forms.MultipleChoiceField(
                    required=required, choices=options(q), error_messages=messages
                )
            elif q.kind == QuestionKind.NUMBER:
                low, high = q.number_range() or (None, None)
                number_message = _("Please enter a whole number from %(low)s to %(high)s.") % {
                    "low": low,
                    "high": high,
                }
                f = forms.IntegerField(
                    required=required,
                    min_value=low,
                    max_value=high,
                    error_messages={
                        "required": required_message,
                        "invalid": number_message,
                        "min_value": number_message,
                        "max_value": number_message,
                    },
                )
            elif q.kind == QuestionKind.DATE:
                f = forms.DateField(
                    required=required,
                    input_formats=["%Y-%m-%d", "%Y/%m/%d"],
                    error_messages={
                        "required": required_message,
                        "invalid": _("Please enter a date such as 2026-04-01."),
                    },
                )
            elif q.kind in (QuestionKind.MATRIX, QuestionKind.RANKING):
                # Parts are fields of their own (below); this one carries the errors.
                f = forms.CharField(required=False)
                parts = (
                    [r["value"] for r in q.matrix_rows()]
                    if q.kind == QuestionKind.MATRIX
                    else [c.value for c in q.choices.all()]
                )
                part_choices = (
                    options(q)
                    if q.kind == QuestionKind.MATRIX
                    else [(str(n), str(n)) for n in range(1, len(parts) + 1)]
                )
                for part in parts:
                    self.fields[_sub(q, part)] = forms.ChoiceField(
                        required=False, choices=part_choices, error_messages=messages
                    )
            else:
                f = forms.ChoiceField(
                    required=required, choices=options(q), error_messages=messages
                )
            self.fields[field_name(q)] = f
            if q.allows_other and q.kind != QuestionKind.RANKING:
                self.fields[_sub(q, "other")] = FreeTextField(
                    required=False, strip=False, max_length=200
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for q in self.questions:
            name = field_name(q)
            if q.kind == QuestionKind.MATRIX:
                given = [data.get(_sub(q, r["value"])) for r in q.matrix_rows()]
                if q.required and not self.lenient and not all(given):
                    self.add_error(name, _("Please answer every statement."))
            elif q.kind == QuestionKind.RANKING:
                ranks = [data.get(_sub(q, c.value)) for c in q.choices.all()]
                if any(ranks) or (q.required and not self.lenient):
                    if not all(ranks):
                        self.add_error(name, _("Please give every option a rank."))
                    elif len(set(ranks)) != len(ranks):
                        self.add_error(name, _("Please give each option a different rank."))
            elif q.allows_other:
                picked = data.get(name) or []
                picked = picked if isinstance(picked, list) else [picked]
                other = (data.get(_sub(q, "other")) or "").strip()
                if OTHER_VALUE in picked and not other and not self.lenient:
                    self.add_error(name, _("Please tell us what 「Other」 is."))
        return data

    def values(self) -> dict[str, Any]:
        """Cleaned answers as ``{question key: value}`` (the shape services take)."""
        out: dict[str, Any] = {}
        for q in self.questions:
            value = self.cleaned_data.get(field_name(q))
            if q.kind == QuestionKind.NUMBER:
                out[q.key] = value
            elif q.kind == QuestionKind.DATE:
                out[q.key] = value.isoformat() if value else ""
            elif q.kind in NUMBER_KINDS_FORM:
                out[q.key] = int(value) if value not in (None, "") else None
            elif q.kind == QuestionKind.MATRIX:
                out[q.key] = {
                    r["value"]: int(v)
                    for r in q.matrix_rows()
                    if (v := self.cleaned_data.get(_sub(q, r["value"])))
                }
            elif q.kind == QuestionKind.RANKING:
                ranks = {c.value: self.cleaned_data.get(_sub(q, c.value)) for c in q.choices.all()}
                out[q.key] = (
                    sorted(ranks, key=lambda v: int(ranks[v])) if all(ranks.values()) else []
                )
            elif q.kind == QuestionKind.MULTIPLE_CHOICE:
                out[q.key] = list(value or [])
            elif q.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.DROPDOWN):
                out[q.key] = value or None
            else:
                out[q.key] = value or ""
            if q.allows_other and q.kind != QuestionKind.RANKING:
                out[other_text_key(q)] = self.cleaned_data.get(_sub(q, "other")) or ""
        return out


NUMBER_KINDS_FORM = (
    QuestionKind.NPS,
    QuestionKind.AGREEMENT,
    QuestionKind.RATING,
    QuestionKind.CES,
    QuestionKind.LIKERT,
)


@dataclass
class Option:
    value: str
    label: str
    checked: bool
    id: str


@dataclass
class Part:
    """One statement of a matrix (a radio group) or one option of a ranking (a rank select)."""

    label: str
    name: str
    id: str
    options: list[Option]


@dataclass
class QuestionView:
    """What the page template needs for one question."""

    question: Question
    name: str
    id: str
    text: str
    help_text: str
    required: bool
    kind: str
    errors: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    text_value: str = ""
    max_length: int = 5000
    other_name: str = ""
    other_value: str = ""
    low: int | None = None
    high: int | None = None

    @property
    def is_scale(self) -> bool:
        return self.kind == QuestionKind.NPS

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS

    @property
    def is_long_text(self) -> bool:
        return self.kind == QuestionKind.LONG_TEXT

    @property
    def is_multiple(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE_CHOICE

    @property
    def widget(self) -> str:
        """Which widget the page template draws."""
        if self.kind in TEXT_KINDS:
            return "text"
        if self.kind in (QuestionKind.NUMBER, QuestionKind.DATE):
            return "input"
        if self.kind == QuestionKind.DROPDOWN:
            return "select"
        if self.kind == QuestionKind.MATRIX:
            return "matrix"
        if self.kind == QuestionKind.RANKING:
            return "ranking"
        return "options"

    @property
    def input_type(self) -> str:
        return "date" if self.kind == QuestionKind.DATE else "number"


def question_views(
    questions: list[Question],
    *,
    form: PageForm | None,
    saved: dict[str, Any],
    replacements: dict[str, str],
) -> list[QuestionView]:
    """Questions with their current values: what was just posted, else what was saved."""
    views = []
    bound = form is not None and form.is_bound
    for q in questions:
        name = field_name(q)
        if bound:
            assert form is not None
            if q.kind == QuestionKind.MULTIPLE_CHOICE:
                current: Any = form.data.getlist(name)
            else:
                current = form.data.get(name, "")
            errors = [str(e) for e in form.errors.get(name, [])]
            for key, messages in form.errors.items():
                if key.startswith(name + "-"):
                    errors.extend(str(e) for e in messages if str(e) not in errors)
        else:
            current = saved.get(q.key)
            errors = []
        text = q.display_text
        for placeholder, value in replacements.items():
            text = text.replace(placeholder, value)
        view = QuestionView(
            question=q,
            name=name,
            id=f"q-{q.key}",
            text=text,
            help_text=q.display_help_text,
            required=q.required,
            kind=q.kind,
            errors=errors,
            max_length=q.max_length,
        )
        if q.kind in TEXT_KINDS or q.kind in (QuestionKind.NUMBER, QuestionKind.DATE):
            view.text_value = "" if current is None else str(current)
            if q.kind == QuestionKind.NUMBER:
                view.low, view.high = q.number_range() or (None, None)
        elif q.kind == QuestionKind.MATRIX:
            for row in q.matrix_rows():
                sub = _sub(q, row["value"])
                if bound:
                    assert form is not None
                    value = form.data.get(sub, "")
                else:
                    value = str((current or {}).get(row["value"], ""))
                view.parts.append(
                    Part(
                        label=Question.statement_label(row),
                        name=sub,
                        id=sub,
                        options=[
                            Option(value=v, label=label, checked=v == value, id=f"{sub}-{v}")
                            for v, label in options(q)
                        ],
                    )
                )
        elif q.kind == QuestionKind.RANKING:
            order = list(current or []) if not bound else []
            n = len(q.choices.all())
            for choice in q.choices.all():
                sub = _sub(q, choice.value)
                if bound:
                    assert form is not None
                    value = form.data.get(sub, "")
                else:
                    value = str(order.index(choice.value) + 1) if choice.value in order else ""
                view.parts.append(
                    Part(
                        label=choice.display_label,
                        name=sub,
                        id=sub,
                        options=[
                            Option(value=str(r), label=str(r), checked=str(r) == value, id="")
                            for r in range(1, n + 1)
                        ],
                    )
                )
        else:
            picked = {str(v) for v in (current if isinstance(current, list) else [current])}
            view.options = [
                Option(value=v, label=label, checked=v in picked, id=f"q-{q.key}-{v}")
                for v, label in options(q)
            ]
        if q.allows_other and q.kind != QuestionKind.RANKING:
            view.other_name = _sub(q, "other")
            if bound:
                assert form is not None
                view.other_value = form.data.get(view.other_name, "")
            else:
                view.other_value = str(saved.get(other_text_key(q)) or "")
        views.append(view)
    return views
