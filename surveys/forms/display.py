"""What the page template draws for each question: its wording, options and current values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from surveys.flow import other_text_key
from surveys.forms.options import field_name, options, part_name
from surveys.forms.page import PageForm
from surveys.models import TEXT_KINDS, Question, QuestionKind


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
                sub = part_name(q, row["value"])
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
                sub = part_name(q, choice.value)
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
            view.other_name = part_name(q, "other")
            if bound:
                assert form is not None
                view.other_value = form.data.get(view.other_name, "")
            else:
                view.other_value = str(saved.get(other_text_key(q)) or "")
        views.append(view)
    return views
