"""One form per survey page: parses and checks what the customer sent (``services`` validate
again and save). Field names are ``q-<question key>``; a matrix statement or a ranked option is
``q-<key>-<part>``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from surveys.flow import other_text_key
from surveys.forms.options import field_name, options, part_name
from surveys.models import OTHER_VALUE, TEXT_KINDS, Question, QuestionKind
from surveys.services import clean_text


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
                    self.fields[part_name(q, part)] = forms.ChoiceField(
                        required=False, choices=part_choices, error_messages=messages
                    )
            else:
                f = forms.ChoiceField(
                    required=required, choices=options(q), error_messages=messages
                )
            self.fields[field_name(q)] = f
            if q.allows_other and q.kind != QuestionKind.RANKING:
                self.fields[part_name(q, "other")] = FreeTextField(
                    required=False, strip=False, max_length=200
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for q in self.questions:
            name = field_name(q)
            if q.kind == QuestionKind.MATRIX:
                given = [data.get(part_name(q, r["value"])) for r in q.matrix_rows()]
                if q.required and not self.lenient and not all(given):
                    self.add_error(name, _("Please answer every statement."))
            elif q.kind == QuestionKind.RANKING:
                ranks = [data.get(part_name(q, c.value)) for c in q.choices.all()]
                if any(ranks) or (q.required and not self.lenient):
                    if not all(ranks):
                        self.add_error(name, _("Please give every option a rank."))
                    elif len(set(ranks)) != len(ranks):
                        self.add_error(name, _("Please give each option a different rank."))
            elif q.allows_other:
                picked = data.get(name) or []
                picked = picked if isinstance(picked, list) else [picked]
                other = (data.get(part_name(q, "other")) or "").strip()
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
                    if (v := self.cleaned_data.get(part_name(q, r["value"])))
                }
            elif q.kind == QuestionKind.RANKING:
                ranks = {
                    c.value: self.cleaned_data.get(part_name(q, c.value)) for c in q.choices.all()
                }
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
                out[other_text_key(q)] = self.cleaned_data.get(part_name(q, "other")) or ""
        return out


NUMBER_KINDS_FORM = (
    QuestionKind.NPS,
    QuestionKind.AGREEMENT,
    QuestionKind.RATING,
    QuestionKind.CES,
    QuestionKind.LIKERT,
)
