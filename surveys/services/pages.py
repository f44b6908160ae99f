"""The customer's page actions: where a respondent stands in a survey, and answering one page.

A customer page request loads the survey plan once (``SurveyPlan.load``) and hands it to
``locate`` (which page to show) and ``answer_page`` (save the posted page and move on); the view
only parses the form, calls these and renders or redirects by the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from engagement.platform.errors import Conflict, InvalidInput
from surveys.flow import PARAM_PREFIX, SurveyPlan
from surveys.models import Page, Question, Response
from surveys.services.answering import complete_response, save_answers, values_of


@dataclass(frozen=True)
class PagePosition:
    """The pages a respondent can see with their answers so far, and the one they are on."""

    plan: SurveyPlan
    values: dict[str, Any]
    positions: list[int]
    current: int

    @property
    def page(self) -> Page:
        page = self.plan.page_at(self.current)
        assert page is not None  # current is always one of the visible positions
        return page

    def questions(self) -> list[Question]:
        return self.plan.visible_questions(self.page, self.values)

    @property
    def step(self) -> int:
        """1-based number of the current page among the pages the respondent may still see."""
        expected = _expected_pages(self.plan, self.values)
        if self.current in expected:
            return expected.index(self.current) + 1
        return self.positions.index(self.current) + 1

    @property
    def total(self) -> int:
        return max(len(_expected_pages(self.plan, self.values)), self.step)

    @property
    def is_first(self) -> bool:
        return self.current == self.positions[0]

    @property
    def is_last(self) -> bool:
        return self.current == self.positions[-1] and self.step == self.total


def locate(
    *,
    plan: SurveyPlan,
    response: Response | None,
    requested: int | None = None,
    rows: list[dict[str, Any]] | None = None,
    params: Mapping[str, str] | None = None,
) -> PagePosition | None:
    """Where ``response`` stands (the first page for a new respondent); None when no page is
    visible. ``requested`` (a posted page number) is honoured when it is the current page or one
    already passed, never a page ahead. ``rows``: the response's saved answers when already
    read with it (otherwise one query). ``params``: the URL parameters of a new respondent
    (a started response keeps its own)."""
    if response:
        values = values_of(response, plan, rows=rows)
    else:
        values = {PARAM_PREFIX + k: v for k, v in (params or {}).items()}
    positions = [p.position for p in plan.visible_pages(values)]
    if not positions:
        return None
    current = response.current_page if response else positions[0]
    if current not in positions:
        current = next((p for p in positions if p >= current), positions[-1])
    if requested is not None and requested in positions and requested <= current:
        current = requested
    return PagePosition(plan=plan, values=values, positions=positions, current=current)


class PageOutcome(StrEnum):
    SAVED = "saved"  # show the (new) current page
    COMPLETED = "completed"  # the response was submitted: thank the customer
    ALREADY_ANSWERED = "already_answered"
    CLOSED = "closed"
    INVALID = "invalid"  # show the page again with ``error``


@dataclass(frozen=True)
class PageResult:
    outcome: PageOutcome
    response: Response | None
    error: InvalidInput | None = None  # INVALID: the answers to correct, by question key


def answer_page(
    *,
    position: PagePosition,
    response: Response | None,
    start: Callable[[], Response],
    values: Mapping[str, Any],
    going_back: bool,
    now: datetime,
) -> PageResult:
    """Save the answers of the current page, then go to the next visible page or submit.

    ``start`` creates the response on a first answer (personal or public link). Going back saves
    what was given (without requiring anything) and moves one page back. A required answer that
    turns out missing on an earlier page (conditions changed) moves the respondent there.

    Each step is its own transaction (``save_answers``, ``complete_response``) on purpose: the
    answers of this page are kept when submitting then finds an earlier answer missing.
    """
    plan, current = position.plan, position.current
    index = position.positions.index(current)
    try:
        if response is None:
            response = start()
        if going_back:
            target = position.positions[index - 1] if index > 0 else current
            response = save_answers(
                response=response, values=values, now=now, page_position=target, plan=plan
            )
            return PageResult(PageOutcome.SAVED, response)
        # The answers after this page: what was saved, with this page's answers over it (an
        # empty answer removes one), decide which page comes next.
        after = {**position.values, **values}
        after = {key: value for key, value in after.items() if value not in (None, "", [])}
        following = [p.position for p in plan.visible_pages(after) if p.position > current]
        response = save_answers(
            response=response,
            values=values,
            now=now,
            page_position=following[0] if following else current,
            plan=plan,
        )
        if following:
            return PageResult(PageOutcome.SAVED, response)
        complete_response(response=response, now=now, plan=plan)
        return PageResult(PageOutcome.COMPLETED, response)
    except Conflict as exc:
        if exc.code == "already_answered":
            return PageResult(PageOutcome.ALREADY_ANSWERED, response)
        return PageResult(PageOutcome.CLOSED, response)
    except InvalidInput as exc:
        missing_page = _page_of(plan, position.values, set(exc.fields))
        if response is not None and missing_page is not None and missing_page != current:
            save_answers(
                response=response, values={}, now=now, page_position=missing_page, plan=plan
            )
            return PageResult(PageOutcome.SAVED, response)
        return PageResult(PageOutcome.INVALID, response, error=exc)


def _page_of(plan: SurveyPlan, values: Mapping[str, Any], keys: set[str]) -> int | None:
    """The first page showing one of the questions ``keys``."""
    return next(
        (
            p.position
            for p in plan.pages
            for q in plan.visible_questions(p, values)
            if q.key in keys
        ),
        None,
    )


def _expected_pages(plan: SurveyPlan, values: Mapping[str, Any]) -> list[int]:
    """Pages that are, or may still become, visible (a condition on an unanswered question),
    along the respondent's path (jumps followed)."""
    return [p.position for p in plan.path(values, optimistic=True)]
