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

from surveys.models import Page, Question, QuestionKind, Survey
from surveys.scoring import nps_category

# key -> value as given to ``submit_response``: int, str, or list[str]
Values = Mapping[str, Any]
PLAN_CACHE_SIZE = 64


def condition_met(show_if: Mapping[str, Any], values: Values) -> bool:
    if not show_if:
        return True
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
    return True


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
        for q in survey.questions.prefetch_related("choices").order_by(
            "page__position", "position", "id"
        ):
            questions.setdefault(q.page_id, []).append(q)
        return cls(survey=survey, pages=pages, questions=questions)

    def all_questions(self) -> list[Question]:
        return [q for p in self.pages for q in self.questions.get(p.id, [])]

    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.all_questions()}

    def visible_questions(self, page: Page, values: Values) -> list[Question]:
        return [q for q in self.questions.get(page.id, []) if condition_met(q.show_if, values)]

    def visible_pages(self, values: Values) -> list[Page]:
        return [p for p in self.pages if self.visible_questions(p, values)]

    def page_at(self, position: int) -> Page | None:
        return next((p for p in self.pages if p.position == position), None)


# survey id -> (the survey's updated_at when read, its plan); per process, oldest dropped first.
_PLANS: dict[int, tuple[datetime, SurveyPlan]] = {}


def answer_value(question: Question, *, number: int | None, text: str, choices: list[str]) -> Any:
    """A stored answer as the value ``submit_response`` takes."""
    if question.kind in (QuestionKind.NPS, QuestionKind.AGREEMENT, QuestionKind.RATING):
        return number
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return choices[0] if choices else None
    if question.kind == QuestionKind.MULTIPLE_CHOICE:
        return list(choices)
    return text
