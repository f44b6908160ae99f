"""Changing a survey that may already have answers: checks that refuse edits which would break
collected answers (saying why), and copying a survey for the next wave."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from engagement.platform.errors import Conflict
from surveys.models import (
    Choice,
    Page,
    Question,
    Survey,
    Wave,
)

# --- edits that would break collected answers -------------------------------------------------

# Fields whose change alters what collected answers mean.
FROZEN_QUESTION_FIELDS = ("key", "kind", "role", "awareness_item", "survey")
FROZEN_CHOICE_FIELDS = ("value", "question")


def _has_answers(survey_id: int | None) -> bool:
    from surveys.models import Response

    return bool(survey_id) and Response.objects.filter(survey_id=survey_id, is_test=False).exists()


def check_survey_change(*, survey: Survey, changed: list[str]) -> None:
    if survey.pk and "brand_name" in changed and _has_answers(survey.pk):
        raise Conflict(
            _(
                "This survey already has answers, so the brand name cannot be changed: the "
                "answers were given to the statements with the current name."
            )
        )


def check_question_change(
    *, question: Question, changed: list[str] | None = None, delete: bool = False
) -> None:
    """Raise ``Conflict`` (saying why) if the edit would break answers already collected."""
    if not _has_answers(question.survey_id):
        return
    if question.pk is None:
        if question.required:
            raise Conflict(
                _(
                    "This survey already has answers. A new question must be optional, because "
                    "earlier respondents could not answer it."
                )
            )
        return
    if delete:
        raise Conflict(
            _(
                "This survey already has answers, so its questions cannot be deleted. Make the "
                "question optional instead, or copy the survey for the next wave."
            )
        )
    frozen = [f for f in (changed or []) if f in FROZEN_QUESTION_FIELDS]
    if frozen:
        raise Conflict(
            _(
                "This survey already has answers, so the question's key, kind and role cannot "
                "be changed (changed: %(fields)s). Copy the survey for the next wave instead."
            )
            % {"fields": ", ".join(frozen)}
        )


def check_choice_change(
    *, choice: Choice, changed: list[str] | None = None, delete: bool = False
) -> None:
    if not _has_answers(choice.question.survey_id if choice.question_id else None):
        return
    if choice.pk is None:
        return  # adding a choice keeps earlier answers valid
    if delete or any(f in FROZEN_CHOICE_FIELDS for f in (changed or [])):
        raise Conflict(
            _(
                "This survey already has answers, so a choice's value cannot be changed or "
                "deleted (answers refer to it). You can still change its label."
            )
        )


@transaction.atomic
def copy_survey(*, survey: Survey, wave: Wave, slug: str, title: str = "") -> Survey:
    """A draft copy of ``survey`` (pages, questions, choices, conditions) for another wave: the
    way to change what a survey with answers asks while keeping waves comparable."""
    if Survey.objects.filter(slug=slug).exists():
        raise Conflict(
            _("A survey with this slug already exists."),
            fields={"slug": [_("Already in use.")]},
        )
    copy = Survey.objects.create(
        title=title or survey.title,
        slug=slug,
        brand_name=survey.brand_name,
        wave=wave,
        description=survey.description,
        thank_you_message=survey.thank_you_message,
        reminder_after_days=survey.reminder_after_days,
        contact_interval_days=survey.contact_interval_days,
        max_responses=survey.max_responses,
    )
    pages = {}
    for page in survey.pages.order_by("position"):
        pages[page.id] = Page.objects.create(
            survey=copy,
            position=page.position,
            title=page.title,
            title_en=page.title_en,
            show_if=page.show_if,
        )
    for old_id, new_page in pages.items():  # branches point at the copy's pages
        jumps = Page.objects.get(id=old_id).jumps or []
        new_page.jumps = [
            {**j, "goto": pages[j["goto"]].id if j.get("goto") in pages else j.get("goto")}
            for j in jumps
        ]
        new_page.save(update_fields=["jumps", "updated_at"])
    for q in (
        survey.questions.filter(archived_at__isnull=True)
        .prefetch_related("choices")
        .order_by("page__position", "position")
    ):
        new = Question.objects.create(
            survey=copy,
            page=pages[q.page_id],
            position=q.position,
            key=q.key,
            kind=q.kind,
            role=q.role,
            awareness_item=q.awareness_item,
            text=q.text,
            text_en=q.text_en,
            help_text=q.help_text,
            help_text_en=q.help_text_en,
            required=q.required,
            max_length=q.max_length,
            show_if=q.show_if,
            settings=q.settings,
        )
        Choice.objects.bulk_create(
            [
                Choice(
                    question=new,
                    position=c.position,
                    value=c.value,
                    label=c.label,
                    label_en=c.label_en,
                )
                for c in q.choices.all()
            ]
        )
    return copy
