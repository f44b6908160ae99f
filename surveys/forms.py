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

from surveys.models import TEXT_KINDS, Question, QuestionKind
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


def field_name(question: Question) -> str:
    return f"q-{question.key}"


def options(question: Question) -> list[tuple[str, str]]:
    if question.kind == QuestionKind.NPS:
        return [(str(i), str(i)) for i in range(11)]
    if question.kind == QuestionKind.AGREEMENT:
        return [(str(v), str(label)) for v, label in AGREEMENT_LABELS]
    if question.kind == QuestionKind.RATING:
        return [(str(v), str(label)) for v, label in RATING_LABELS]
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
        return [(c.value, c.display_label) for c in question.choices.all()]
    return []


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
            else:
                f = forms.ChoiceField(
                    required=required, choices=options(q), error_messages=messages
                )
            self.fields[field_name(q)] = f

    def values(self) -> dict[str, Any]:
        """Cleaned answers as ``{question key: value}`` (the shape services take)."""
        out: dict[str, Any] = {}
        for q in self.questions:
            value = self.cleaned_data.get(field_name(q))
            if q.kind in (QuestionKind.NPS, QuestionKind.AGREEMENT, QuestionKind.RATING):
                out[q.key] = int(value) if value not in (None, "") else None
            elif q.kind == QuestionKind.MULTIPLE_CHOICE:
                out[q.key] = list(value or [])
            elif q.kind == QuestionKind.SINGLE_CHOICE:
                out[q.key] = value or None
            else:
                out[q.key] = value or ""
        return out


@dataclass
class Option:
    value: str
    label: str
    checked: bool
    id: str


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
    text_value: str = ""
    max_length: int = 5000

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


def question_views(
    questions: list[Question],
    *,
    form: PageForm | None,
    saved: dict[str, Any],
    replacements: dict[str, str],
) -> list[QuestionView]:
    """Questions with their current values: what was just posted, else what was saved."""
    views = []
    for q in questions:
        name = field_name(q)
        if form is not None and form.is_bound:
            if q.kind == QuestionKind.MULTIPLE_CHOICE:
                current: Any = form.data.getlist(name)
            else:
                current = form.data.get(name, "")
            errors = [str(e) for e in form.errors.get(name, [])]
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
        if q.kind in TEXT_KINDS:
            view.text_value = "" if current is None else str(current)
        else:
            picked = {str(v) for v in (current if isinstance(current, list) else [current])}
            view.options = [
                Option(value=v, label=label, checked=v in picked, id=f"q-{q.key}-{v}")
                for v, label in options(q)
            ]
        views.append(view)
    return views
