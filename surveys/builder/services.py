"""Builder writes: pages, questions, choices, conditions and jumps, order, deleting.

Every write is one transaction that ends with ``validate_survey``: a change that leaves a broken
reference, a loop or an unreachable page is rolled back with the reason (``InvalidInput``).
A survey that already has (non-test) answers is versioned instead of broken: a reworded
question keeps its earlier wording (``QuestionWording``), a deleted question is archived with
its answers, and the survey's ``version`` goes up.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from engagement.platform.errors import Conflict, InvalidInput
from surveys.models import (
    Choice,
    Page,
    Question,
    QuestionWording,
    Response,
    ResponseStatus,
    Survey,
)
from surveys.validation import validate_survey

FROZEN_WITH_ANSWERS = ("key", "kind")


def has_real_answers(survey: Survey) -> bool:
    """Whether customers (not staff tests) have answered ``survey``."""
    return (
        Response.objects.filter(survey=survey, is_test=False)
        .exclude(status=ResponseStatus.TEST_DONE)
        .exists()
    )


def _check(survey: Survey) -> None:
    problems = [p.message for p in validate_survey(survey) if p.structural]
    if problems:
        raise InvalidInput(" ".join(problems))


def _bump(survey: Survey) -> None:
    Survey.objects.filter(id=survey.id).update(version=F("version") + 1)
    survey.refresh_from_db(fields=["version", "updated_at"])


@transaction.atomic
def add_page(*, survey: Survey, title: str = "") -> Page:
    last = survey.pages.aggregate(m=Max("position"))["m"] or 0
    return Page.objects.create(survey=survey, position=last + 1, title=title)


@transaction.atomic
def update_page(
    *,
    page: Page,
    title: str,
    show_if: dict[str, Any],
    jumps: list[dict[str, Any]],
    title_en: str | None = None,
) -> Page:
    page.title = title
    if title_en is not None:
        page.title_en = title_en
    page.show_if = show_if
    page.jumps = jumps
    page.save()
    _check(page.survey)
    return page


@transaction.atomic
def delete_page(*, page: Page) -> None:
    if page.questions.filter(archived_at__isnull=True).exists():
        raise Conflict(_("Move or delete the questions of this page first."))
    if page.questions.exists():
        raise Conflict(_("This page holds answered questions that were deleted; it is kept."))
    survey = page.survey
    page.delete()
    _renumber_pages(survey)
    _check(survey)


def _renumber_pages(survey: Survey) -> None:
    pages = list(survey.pages.order_by("position", "id"))
    # Two steps, so the unique (survey, position) constraint holds at every statement.
    for offset, page in enumerate(pages, start=1):
        Page.objects.filter(id=page.id).update(position=10_000 + offset)
    for offset, page in enumerate(pages, start=1):
        Page.objects.filter(id=page.id).update(position=offset)


@transaction.atomic
def move_page(*, page: Page, direction: int) -> None:
    pages = list(page.survey.pages.order_by("position", "id"))
    i = next(n for n, p in enumerate(pages) if p.id == page.id)
    j = i + direction
    if not 0 <= j < len(pages):
        return
    pages[i], pages[j] = pages[j], pages[i]
    for offset, p in enumerate(pages, start=1):
        Page.objects.filter(id=p.id).update(position=10_000 + offset)
    for offset, p in enumerate(pages, start=1):
        Page.objects.filter(id=p.id).update(position=offset)
    page.survey.save(update_fields=["updated_at"])
    _check(page.survey)


@transaction.atomic
def save_question(
    *,
    survey: Survey,
    page: Page,
    question: Question | None,
    fields: dict[str, Any],
    choices: Sequence[tuple[str, ...]],
    now: datetime,
) -> Question:
    """Create (``question=None``) or change a question and its choices (value, label and
    optionally the English label)."""
    if page.survey_id != survey.id:
        raise InvalidInput(_("This page belongs to another survey."))
    answered = has_real_answers(survey)
    if question is None:
        if Question.objects.filter(survey=survey, key=fields["key"]).exists():
            raise InvalidInput(
                _("A question with this key already exists in this survey."),
                fields={"key": [_("Already in use.")]},
            )
        if answered and fields.get("required", True):
            raise InvalidInput(
                _(
                    "This survey already has answers. A new question must be optional, because "
                    "earlier respondents could not answer it."
                ),
                fields={"required": [_("Make it optional.")]},
            )
        last = page.questions.aggregate(m=Max("position"))["m"] or 0
        question = Question(survey=survey, page=page, position=last + 1)
        old_text = None
    else:
        old_text = (question.text, question.text_en)  # both languages are one wording
        if answered:
            changed = [
                f for f in FROZEN_WITH_ANSWERS if f in fields and fields[f] != getattr(question, f)
            ]
            if changed:
                raise Conflict(
                    _(
                        "This survey already has answers, so the question's key and kind cannot "
                        "be changed. Copy the survey for the next wave instead."
                    )
                )
            _check_scale_kept(question, fields.get("settings"))
        if question.page_id != page.id:
            last = page.questions.aggregate(m=Max("position"))["m"] or 0
            question.page, question.position = page, last + 1
    for name, value in fields.items():
        setattr(question, name, value)
    question.save()
    if answered and old_text is not None and old_text != (question.text, question.text_en):
        QuestionWording.objects.create(
            question=question,
            version=survey.version,
            text=old_text[0],
            text_en=old_text[1],
            replaced_at=now,
        )
        _bump(survey)
    _save_choices(question, choices, answered=answered)
    _check(survey)
    return question


def _check_scale_kept(question: Question, settings: dict[str, Any] | None) -> None:
    """With answers, a matrix keeps its statements' values and a scale its points: answers are
    stored by statement value and number, and analysed with the question's current ones."""
    if settings is None:
        return
    old = {row["value"] for row in question.matrix_rows()}
    new = {row.get("value") for row in settings.get("rows") or []}
    points = Question(kind=question.kind, settings=settings).points
    if old - new or points != question.points:
        raise Conflict(
            _(
                "This survey already has answers, so a statement's value and the number of "
                "points cannot be changed (answers refer to them). You can still change the "
                "wording."
            )
        )


def _save_choices(
    question: Question, choices: Sequence[tuple[str, ...]], *, answered: bool
) -> None:
    existing = {c.value: c for c in question.choices.all()}
    wanted = [choice[0] for choice in choices]
    removed = [v for v in existing if v not in wanted]
    if removed and answered:
        raise Conflict(
            _(
                "This survey already has answers, so a choice's value cannot be changed or "
                "deleted (answers refer to it). You can still change its label."
            )
        )
    if len(set(wanted)) != len(wanted):
        raise InvalidInput(_("Each option needs a different value."))
    Choice.objects.filter(question=question, value__in=removed).delete()
    for position, (value, label, *english) in enumerate(choices, start=1):
        choice = existing.get(value) or Choice(question=question, value=value)
        choice.position, choice.label = position, label
        choice.label_en = english[0] if english else ""
        choice.save()


@transaction.atomic
def delete_question(*, question: Question, now: datetime) -> None:
    """Delete a question; in a survey with answers, archive it (its answers stay)."""
    survey = question.survey
    if has_real_answers(survey):
        question.archived_at = now
        question.save(update_fields=["archived_at", "updated_at"])
        _bump(survey)
    else:
        question.delete()
    _check(survey)


@transaction.atomic
def reorder(*, survey: Survey, order: Sequence[tuple[int, Sequence[int]]]) -> None:
    """Put questions in the given order: ``[(page id, [question id, ...]), ...]`` (questions
    may move between pages). Questions not named keep their place after those named."""
    pages = {p.id: p for p in survey.pages.all()}
    questions = {q.id: q for q in survey.questions.all()}
    for page_id, question_ids in order:
        if page_id not in pages or any(q not in questions for q in question_ids):
            raise InvalidInput(_("The order refers to a page or question of another survey."))
    for page_id, question_ids in order:
        for position, qid in enumerate(question_ids, start=1):
            Question.objects.filter(id=qid).update(page_id=page_id, position=position)
    survey.save(update_fields=["updated_at"])
    _check(survey)


@transaction.atomic
def move_question(*, question: Question, direction: int) -> None:
    """One place up (-1) or down (+1) within its page; past the page's end, to the next page."""
    survey = question.survey
    siblings = list(
        question.page.questions.filter(archived_at__isnull=True).order_by("position", "id")
    )
    i = next(n for n, q in enumerate(siblings) if q.id == question.id)
    j = i + direction
    if 0 <= j < len(siblings):
        siblings[i], siblings[j] = siblings[j], siblings[i]
        reorder(survey=survey, order=[(question.page_id, [q.id for q in siblings])])
        return
    pages = list(survey.pages.order_by("position"))
    k = next(n for n, p in enumerate(pages) if p.id == question.page_id) + direction
    if not 0 <= k < len(pages):
        return
    target = pages[k]
    others = [
        q.id for q in target.questions.filter(archived_at__isnull=True).order_by("position", "id")
    ]
    ids = [question.id, *others] if direction > 0 else [*others, question.id]
    rest = [q.id for q in siblings if q.id != question.id]
    reorder(survey=survey, order=[(question.page_id, rest), (target.id, ids)])
