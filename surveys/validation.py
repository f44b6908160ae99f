"""Checks of a survey's logic: conditions and jumps refer to earlier, existing questions and later,
existing pages; no loop; every page reachable; each question complete for its kind.

``structural`` problems (broken references, loops, unreachable pages) are refused on every save
in the builder; the others (a choice question without choices yet, an empty page) only keep the
survey from being opened to customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from surveys.flow import END, SurveyPlan
from surveys.models import (
    CHOICE_KINDS,
    NUMBER_KINDS,
    OTHER_VALUE,
    Page,
    Question,
    QuestionKind,
    Survey,
)


@dataclass(frozen=True)
class Problem:
    message: str
    structural: bool = True


def validate_survey(survey: Survey) -> list[Problem]:
    """Every problem of ``survey`` as it is in the database now (read fresh, not cached)."""
    return validate_plan(SurveyPlan.read(survey))


def validate_question_change(question: Question) -> list[Problem]:
    """Structural problems ``survey`` would have with ``question`` (unsaved changes: page,
    condition) in place of its saved version: for forms that save outside the builder."""
    plan = SurveyPlan.read(question.survey)
    questions = {
        page_id: [q for q in qs if q.id != question.id or question.id is None]
        for page_id, qs in plan.questions.items()
    }
    if question.page_id in questions:
        questions[question.page_id].append(question)
    changed = SurveyPlan(survey=plan.survey, pages=plan.pages, questions=questions)
    return [p for p in validate_plan(changed) if p.structural]


def validate_plan(plan: SurveyPlan) -> list[Problem]:
    problems: list[Problem] = []
    pages = plan.pages
    page_index = {p.id: i for i, p in enumerate(pages)}
    question_page = {q.key: page_index[q.page_id] for q in plan.all_questions()}
    questions = plan.by_key()
    if not questions:
        problems.append(Problem(_("The survey has no questions yet."), structural=False))

    def check(cond: Mapping[str, Any], where: str, allowed_before: int) -> None:
        if not cond:
            return
        if "param" in cond:
            if not str(cond.get("param") or "").strip() or not cond.get("equals"):
                problems.append(
                    Problem(
                        _("%(where)s: the URL parameter condition needs a name and a value.")
                        % {"where": where}
                    )
                )
            return
        key = cond.get("question", "")
        source = questions.get(key)
        if source is None:
            problems.append(
                Problem(
                    _(
                        "%(where)s refers to the question 「%(key)s」, which does not exist or was "
                        "deleted."
                    )
                    % {"where": where, "key": key}
                )
            )
            return
        if question_page[key] > allowed_before:
            problems.append(
                Problem(
                    _(
                        "%(where)s refers to the question 「%(key)s」, which comes later. A "
                        "condition can only use answers given before it."
                    )
                    % {"where": where, "key": key}
                )
            )
        if "nps_category" in cond and source.kind != QuestionKind.NPS:
            problems.append(
                Problem(
                    _("%(where)s: 「%(key)s」 is not an NPS question.")
                    % {"where": where, "key": key}
                )
            )
        if "choice" in cond:
            wanted = cond["choice"]
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            values = {c.value for c in source.choices.all()}
            if source.allows_other:
                values.add(OTHER_VALUE)
            unknown = [w for w in wanted if w not in values]
            if source.kind not in CHOICE_KINDS or unknown or not wanted:
                problems.append(
                    Problem(
                        _("%(where)s: 「%(key)s」 has no option %(values)s.")
                        % {"where": where, "key": key, "values": ", ".join(unknown or wanted)}
                    )
                )
        if "min" in cond or "max" in cond:
            low, high = cond.get("min"), cond.get("max")
            if source.kind not in NUMBER_KINDS:
                problems.append(
                    Problem(
                        _("%(where)s: 「%(key)s」 is not answered with a number.")
                        % {"where": where, "key": key}
                    )
                )
            elif low is not None and high is not None and int(low) > int(high):
                problems.append(
                    Problem(
                        _("%(where)s: the lower end of the range is above the upper end.")
                        % {"where": where}
                    )
                )

    for i, page in enumerate(pages):
        name = _page_name(page)
        check(page.show_if, _("The condition of page %(page)s") % {"page": name}, i - 1)
        for q in plan.questions.get(page.id, []):
            check(q.show_if, _("The condition of question 「%(key)s」") % {"key": q.key}, i - 1)
            problems.extend(_kind_problems(q))
        if not plan.questions.get(page.id):
            problems.append(
                Problem(_("Page %(page)s has no questions.") % {"page": name}, structural=False)
            )
        for n, jump in enumerate(page.jumps or [], start=1):
            where = _("Branch %(n)d after page %(page)s") % {"n": n, "page": name}
            check(jump.get("if") or {}, where, i)
            goto = jump.get("goto")
            if goto == END:
                continue
            if goto not in page_index:
                problems.append(
                    Problem(
                        _("%(where)s goes to a page that does not exist or was deleted.")
                        % {"where": where}
                    )
                )
            elif page_index[goto] <= i:
                problems.append(
                    Problem(
                        _(
                            "%(where)s goes back to page %(target)s: that would make a loop. A "
                            "branch can only skip ahead."
                        )
                        % {"where": where, "target": _page_name(pages[page_index[goto]])}
                    )
                )
    if not any(p.structural for p in problems):
        for page in _unreachable(pages, page_index):
            problems.append(
                Problem(
                    _(
                        "Page %(page)s can never be reached: a branch before it always skips "
                        "it or ends the survey."
                    )
                    % {"page": _page_name(page)}
                )
            )
    return problems


def _unreachable(pages: list[Page], page_index: dict[int, int]) -> list[Page]:
    seen: set[int] = set()
    todo = [0] if pages else []
    while todo:
        i = todo.pop()
        if i in seen or i >= len(pages):
            continue
        seen.add(i)
        always = False
        for jump in pages[i].jumps or []:
            goto = jump.get("goto")
            if goto != END and goto in page_index:
                todo.append(page_index[goto])
            if not jump.get("if"):
                always = True
                break
        if not always:
            todo.append(i + 1)
    return [p for i, p in enumerate(pages) if i not in seen]


def _kind_problems(q: Question) -> list[Problem]:
    out = []
    n_choices = len(q.choices.all())
    if q.kind in CHOICE_KINDS and n_choices == 0:
        out.append(
            Problem(_("Question 「%(key)s」 needs options.") % {"key": q.key}, structural=False)
        )
    if q.kind == QuestionKind.RANKING and n_choices == 1:
        out.append(
            Problem(
                _("Question 「%(key)s」 needs at least two options to rank.") % {"key": q.key},
                structural=False,
            )
        )
    if q.kind == QuestionKind.MATRIX and not q.matrix_rows():
        out.append(
            Problem(_("Question 「%(key)s」 needs statements.") % {"key": q.key}, structural=False)
        )
    if q.kind == QuestionKind.NUMBER:
        s = q.settings or {}
        if s.get("min") is not None and s.get("max") is not None and s["min"] > s["max"]:
            out.append(
                Problem(
                    _("Question 「%(key)s」: the minimum is above the maximum.") % {"key": q.key}
                )
            )
    return out


def _page_name(page: Page) -> str:
    return f"{page.position}" + (f"「{page.title}」" if page.title else "")
