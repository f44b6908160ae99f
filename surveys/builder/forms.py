"""Builder forms: a question (kind, wording, options, settings, condition) and a page (title,
condition, branches). Conditions are entered as a few plain fields and stored as the JSON that
``surveys.flow.condition_met`` reads."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.flow import END
from surveys.models import NpsCategory, Page, Question, QuestionKind
from surveys.scoring import SCALE_KINDS

MAX_JUMPS = 3
# The scale's end labels in ``Question.settings`` (see ``Question.scale_ends``).
END_LABELS = ("low_label", "high_label", "low_label_en", "high_label_en")


def add_condition_fields(form: forms.Form, prefix: str, keys: list[str]) -> None:
    """Fields of one condition: a question and what its answer must be, or a URL parameter."""
    form.fields[f"{prefix}question"] = forms.ChoiceField(
        label=gettext_lazy("when the answer to"),
        required=False,
        choices=[("", "—"), *[(k, k) for k in keys]],
    )
    form.fields[f"{prefix}nps"] = forms.MultipleChoiceField(
        label=gettext_lazy("is in the NPS band"),
        required=False,
        choices=NpsCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    form.fields[f"{prefix}choice"] = forms.CharField(
        label=gettext_lazy("or is one of these option values (comma-separated)"),
        required=False,
    )
    form.fields[f"{prefix}min"] = forms.IntegerField(
        label=gettext_lazy("or is a number from"), required=False
    )
    form.fields[f"{prefix}max"] = forms.IntegerField(label=gettext_lazy("to"), required=False)
    form.fields[f"{prefix}param"] = forms.CharField(
        label=gettext_lazy("or when the URL parameter"), required=False, max_length=50
    )
    form.fields[f"{prefix}param_value"] = forms.CharField(
        label=gettext_lazy("is (comma-separated values)"), required=False, max_length=200
    )


def condition_initial(cond: dict[str, Any], prefix: str) -> dict[str, Any]:
    cond = cond or {}
    choice = cond.get("choice", [])
    nps = cond.get("nps_category", [])
    equals = cond.get("equals", [])
    return {
        f"{prefix}question": cond.get("question", ""),
        f"{prefix}nps": [nps] if isinstance(nps, str) else nps,
        f"{prefix}choice": choice if isinstance(choice, str) else ", ".join(choice),
        f"{prefix}min": cond.get("min"),
        f"{prefix}max": cond.get("max"),
        f"{prefix}param": cond.get("param", ""),
        f"{prefix}param_value": equals if isinstance(equals, str) else ", ".join(equals),
    }


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,、]", text or "") if part.strip()]


def condition_from(form: forms.Form, prefix: str) -> dict[str, Any]:
    data = form.cleaned_data
    param = (data.get(f"{prefix}param") or "").strip()
    if param:
        return {"param": param, "equals": _split(data.get(f"{prefix}param_value", ""))}
    key = data.get(f"{prefix}question") or ""
    if not key:
        return {}
    cond: dict[str, Any] = {"question": key}
    if data.get(f"{prefix}nps"):
        cond["nps_category"] = list(data[f"{prefix}nps"])
    elif _split(data.get(f"{prefix}choice", "")):
        cond["choice"] = _split(data[f"{prefix}choice"])
    elif data.get(f"{prefix}min") is not None or data.get(f"{prefix}max") is not None:
        if data.get(f"{prefix}min") is not None:
            cond["min"] = data[f"{prefix}min"]
        if data.get(f"{prefix}max") is not None:
            cond["max"] = data[f"{prefix}max"]
    else:
        form.add_error(
            f"{prefix}question",
            _("Say what the answer must be: an NPS band, option values or a number range."),
        )
    return cond


def _lines(text: str) -> list[tuple[str, str, str]]:
    """``value|label|English label`` per line (the English label may be left out; a label alone
    gets a value made from the line number)."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 1:
            out.append((f"o{n}", parts[0], ""))
        else:
            out.append((parts[0], parts[1], "|".join(parts[2:]).strip()))
    return out


def _lines_initial(items: list[tuple[str, str, str]]) -> str:
    return "\n".join("|".join([v, label, en] if en else [v, label]) for v, label, en in items)


class QuestionForm(forms.Form):
    page = forms.ModelChoiceField(label=gettext_lazy("page"), queryset=Page.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=QuestionKind.choices)
    key = forms.SlugField(
        label=gettext_lazy("key"),
        max_length=50,
        help_text=gettext_lazy("Letters, digits, - and _; used in conditions and exports."),
    )
    text = forms.CharField(label=gettext_lazy("question"), widget=forms.Textarea(attrs={"rows": 2}))
    help_text = forms.CharField(
        label=gettext_lazy("help text"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    text_en = forms.CharField(
        label=gettext_lazy("question (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help_text_en = forms.CharField(
        label=gettext_lazy("help text (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    required = forms.BooleanField(label=gettext_lazy("required"), required=False, initial=True)
    options = forms.CharField(
        label=gettext_lazy("options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One per line, as value|label or value|label|English label (single/multiple "
            "choice, dropdown, ranking). Answers are stored by value, so every language version "
            "is analysed together."
        ),
    )
    other = forms.BooleanField(label=gettext_lazy("add 「Other」 with a text box"), required=False)
    rows = forms.CharField(
        label=gettext_lazy("statements (matrix)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One per line, as value|statement or value|statement|English."),
    )
    points = forms.TypedChoiceField(
        label=gettext_lazy("points (Likert, matrix)"),
        choices=[(5, "5"), (7, "7")],
        coerce=int,
        initial=5,
    )
    low_label = forms.CharField(
        label=gettext_lazy("label of the lowest point"),
        required=False,
        max_length=50,
        help_text=gettext_lazy("CSAT, CES, agreement, Likert and matrix; empty: the standard one."),
    )
    high_label = forms.CharField(
        label=gettext_lazy("label of the highest point"), required=False, max_length=50
    )
    low_label_en = forms.CharField(
        label=gettext_lazy("label of the lowest point (English)"), required=False, max_length=50
    )
    high_label_en = forms.CharField(
        label=gettext_lazy("label of the highest point (English)"), required=False, max_length=50
    )
    minimum = forms.IntegerField(label=gettext_lazy("minimum (number)"), required=False)
    maximum = forms.IntegerField(label=gettext_lazy("maximum (number)"), required=False)

    def __init__(self, *args: Any, survey: Any, question: Question | None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["page"].queryset = survey.pages.order_by("position")
        keys = [
            q.key
            for q in survey.questions.filter(archived_at__isnull=True).order_by(
                "page__position", "position"
            )
            if question is None or q.id != question.id
        ]
        add_condition_fields(self, "c_", keys)
        if question is not None and not self.is_bound:
            s = question.settings or {}
            self.initial.update(
                {
                    "page": question.page_id,
                    "kind": question.kind,
                    "key": question.key,
                    "text": question.text,
                    "help_text": question.help_text,
                    "text_en": question.text_en,
                    "help_text_en": question.help_text_en,
                    "required": question.required,
                    "options": _lines_initial(
                        [(c.value, c.label, c.label_en) for c in question.choices.all()]
                    ),
                    "other": bool(s.get("other")),
                    "rows": _lines_initial(
                        [
                            (r["value"], r.get("label", ""), r.get("label_en", ""))
                            for r in s.get("rows", [])
                        ]
                    ),
                    **{name: s.get(name, "") for name in END_LABELS},
                    "points": s.get("points", 5),
                    "minimum": s.get("min"),
                    "maximum": s.get("max"),
                    **condition_initial(question.show_if, "c_"),
                }
            )

    def result(self) -> tuple[Page, dict[str, Any], list[tuple[str, str, str]]]:
        """(page, question fields, choices) from the cleaned form."""
        d = self.cleaned_data
        kind = d["kind"]
        settings: dict[str, Any] = {}
        if kind in (QuestionKind.LIKERT, QuestionKind.MATRIX):
            settings["points"] = d["points"]
        if kind == QuestionKind.MATRIX:
            settings["rows"] = [
                {"value": v, "label": label, **({"label_en": en} if en else {})}
                for v, label, en in _lines(d["rows"])
            ]
        if kind in SCALE_KINDS:
            settings.update({name: d[name] for name in END_LABELS if d.get(name)})
        if kind == QuestionKind.NUMBER:
            if d.get("minimum") is not None:
                settings["min"] = d["minimum"]
            if d.get("maximum") is not None:
                settings["max"] = d["maximum"]
        if d.get("other") and kind in (
            QuestionKind.SINGLE_CHOICE,
            QuestionKind.MULTIPLE_CHOICE,
            QuestionKind.DROPDOWN,
        ):
            settings["other"] = True
        fields = {
            "kind": kind,
            "key": d["key"],
            "text": d["text"],
            "help_text": d.get("help_text", ""),
            "text_en": d.get("text_en", ""),
            "help_text_en": d.get("help_text_en", ""),
            "required": bool(d.get("required")),
            "settings": settings,
            "show_if": condition_from(self, "c_"),
        }
        return d["page"], fields, _lines(d.get("options", ""))


class PageForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("title"), required=False, max_length=200)
    title_en = forms.CharField(
        label=gettext_lazy("title (English)"), required=False, max_length=200
    )

    def __init__(self, *args: Any, page: Page, **kw: Any) -> None:
        super().__init__(*args, **kw)
        survey = page.survey
        questions = list(
            survey.questions.filter(archived_at__isnull=True)
            .select_related("page")
            .order_by("page__position", "position")
        )
        earlier = [q.key for q in questions if q.page.position < page.position]
        upto = [q.key for q in questions if q.page.position <= page.position]
        add_condition_fields(self, "c_", earlier)
        targets = [("", "—"), (END, _("End the survey"))] + [
            (str(p.id), f"{p.position} {p.title}")
            for p in survey.pages.order_by("position")
            if p.position > page.position
        ]
        for n in range(1, MAX_JUMPS + 1):
            add_condition_fields(self, f"j{n}_", upto)
            self.fields[f"j{n}_goto"] = forms.ChoiceField(
                label=gettext_lazy("then go to"), required=False, choices=targets
            )
        if not self.is_bound:
            self.initial["title"] = page.title
            self.initial["title_en"] = page.title_en
            self.initial.update(condition_initial(page.show_if, "c_"))
            for n, jump in enumerate(page.jumps or [], start=1):
                if n > MAX_JUMPS:
                    break
                self.initial.update(condition_initial(jump.get("if") or {}, f"j{n}_"))
                self.initial[f"j{n}_goto"] = str(jump.get("goto", ""))

    def jump_groups(self) -> list[list[Any]]:
        return [
            [self[name] for name in self.fields if name.startswith(f"j{n}_")]
            for n in range(1, MAX_JUMPS + 1)
        ]

    def condition_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("c_")]

    def result(self) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        """(title, condition, jumps); the English title is ``cleaned_data["title_en"]``."""
        jumps = []
        for n in range(1, MAX_JUMPS + 1):
            goto = self.cleaned_data.get(f"j{n}_goto")
            cond = condition_from(self, f"j{n}_")
            if goto:
                jumps.append({"if": cond, "goto": END if goto == END else int(goto)})
        return self.cleaned_data.get("title", ""), condition_from(self, "c_"), jumps
