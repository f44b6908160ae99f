"""The path through a survey: which questions and pages a respondent sees, given the answers.

Conditional display (``Question.show_if``) refers to a question on an earlier page:
``{"question": "nps", "nps_category": "detractor"}`` (one category or a list), or
``{"question": "touchpoint", "choice": "store"}`` (shown when that choice was picked). A question
whose condition is not met is skipped, and a page whose questions are all skipped is skipped.
Conditions are evaluated on the server from saved answers, so the survey works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from surveys.models import NUMBER_KINDS, Page, Question, QuestionKind, Survey
from surveys.scoring import nps_category

# key -> value as given to ``submit_response``: int, str, or list[str]; URL parameters that
# conditions refer to are there too, as ``"?name"``.
Values = Mapping[str, Any]
PLAN_CACHE_SIZE = 64
PARAM_PREFIX = "?"
END = "end"


def condition_met(show_if: Mapping[str, Any], values: Values) -> bool:
    """Whether ``show_if`` holds for the answers ``values``; an empty condition always holds.

    ``{"question": k, "nps_category": ...}``, ``{"question": k, "choice": ...}`` (one value or a
    list), ``{"question": k, "min": a, "max": b}`` (a number answer in a..b, either end
    optional), ``{"param": name, "equals": ...}`` (a URL parameter, one value or a list).
    """
    if not show_if:
        return True
    if "param" in show_if:
        got = values.get(PARAM_PREFIX + str(show_if["param"]))
        wanted = show_if.get("equals", [])
        wanted = [wanted] if isinstance(wanted, str) else [str(w) for w in wanted]
        return got is not None and str(got) in wanted
    value = values.get(show_if.get("question", ""))
    if value is None or value == "" or value == []:
        return False
    if "nps_category" in show_if:
        wanted = show_if["nps_category"]
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        try:
            return nps_category(int(value)) in wanted
        except (TypeError, ValueError):
            return False
    if "choice" in show_if:
        wanted = show_if["choice"]
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        picked = value if isinstance(value, list) else [value]
        return any(str(p) in wanted for p in picked)
    if "min" in show_if or "max" in show_if:
        try:
            number = int(value)
        except (TypeError, ValueError):
            return False
        low, high = show_if.get("min"), show_if.get("max")
        return (low is None or number >= int(low)) and (high is None or number <= int(high))
    return True


def condition_sources(show_if: Mapping[str, Any]) -> str | None:
    """The question key a condition depends on (None for none or a URL parameter)."""
    return show_if.get("question") if show_if and "param" not in show_if else None


@dataclass(frozen=True)
class SurveyPlan:
    """A survey's pages and questions, loaded once (three queries) and never changed after."""

    survey: Survey
    pages: list[Page]
    questions: dict[int, list[Question]] = field(default_factory=dict)  # page id -> questions

    @classmethod
    def load(cls, survey: Survey) -> SurveyPlan:
        """The plan of ``survey``: from this process's cache while the survey's ``updated_at``
        is the one it was read at (every page, question or choice change touches it:
        ``surveys.receivers``), otherwise read again."""
        cached = _PLANS.get(survey.id)
        if cached is not None and cached[0] == survey.updated_at:
            return replace(cached[1], survey=survey)
        plan = cls.read(survey)
        if len(_PLANS) >= PLAN_CACHE_SIZE:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[survey.id] = (survey.updated_at, plan)
        return plan

    @classmethod
    def read(cls, survey: Survey) -> SurveyPlan:
        pages = list(survey.pages.order_by("position"))
        questions: dict[int, list[Question]] = {p.id: [] for p in pages}
        for q in (
            survey.questions.filter(archived_at__isnull=True)
            .prefetch_related("choices")
            .order_by("page__position", "position", "id")
        ):
            questions.setdefault(q.page_id, []).append(q)
        return cls(survey=survey, pages=pages, questions=questions)

    def all_questions(self) -> list[Question]:
        return [q for p in self.pages for q in self.questions.get(p.id, [])]

    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.all_questions()}

    def visible_questions(self, page: Page, values: Values) -> list[Question]:
        if not condition_met(page.show_if, values):
            return []
        return [q for q in self.questions.get(page.id, []) if condition_met(q.show_if, values)]

    def visible_pages(self, values: Values) -> list[Page]:
        """The respondent's path: pages in order, those whose conditions hold, following the
        first matching jump of each page passed (to a later page, or the end)."""
        return self.path(values)

    def path(self, values: Values, *, optimistic: bool = False) -> list[Page]:
        """As ``visible_pages``; ``optimistic`` also counts pages whose conditions refer to
        questions not answered yet (the pages that may still come)."""
        out: list[Page] = []
        index = {p.id: i for i, p in enumerate(self.pages)}
        i = 0
        while i < len(self.pages):
            page = self.pages[i]
            if self._shown(page, values, optimistic):
                out.append(page)
            target = None
            if self._shown(page, values, False):  # a page skipped takes no jump
                for jump in page.jumps or []:
                    if condition_met(jump.get("if") or {}, values):
                        target = jump.get("goto")
                        break
            if target == END:
                break
            if target is not None and index.get(target, -1) > i:
                i = index[target]
            else:
                i += 1
        return out

    def _shown(self, page: Page, values: Values, optimistic: bool) -> bool:
        def holds(cond: Mapping[str, Any]) -> bool:
            if condition_met(cond, values):
                return True
            source = condition_sources(cond)
            return optimistic and source is not None and values.get(source) in (None, "", [])

        if not holds(page.show_if):
            return False
        return any(holds(q.show_if) for q in self.questions.get(page.id, []))

    def param_names(self) -> set[str]:
        """URL parameters the survey's conditions refer to."""
        conds = [p.show_if for p in self.pages] + [q.show_if for q in self.all_questions()]
        conds += [j.get("if") or {} for p in self.pages for j in p.jumps or []]
        return {str(c["param"]) for c in conds if c and "param" in c}

    def page_at(self, position: int) -> Page | None:
        return next((p for p in self.pages if p.position == position), None)


# survey id -> (the survey's updated_at when read, its plan); per process, oldest dropped first.
_PLANS: dict[int, tuple[datetime, SurveyPlan]] = {}


def answer_value(question: Question, *, number: int | None, text: str, choices: Any) -> Any:
    """A stored answer as the value ``submit_response`` takes."""
    if question.kind in NUMBER_KINDS:
        return number
    if question.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.DROPDOWN):
        return choices[0] if choices else None
    if question.kind in (QuestionKind.MULTIPLE_CHOICE, QuestionKind.RANKING):
        return list(choices)
    if question.kind == QuestionKind.MATRIX:
        return dict(choices) if isinstance(choices, dict) else {}
    return text


def other_text_key(question: Question) -> str:
    """Where the 「その他」 text of a choice question is in a values mapping."""
    return f"{question.key}.other"
