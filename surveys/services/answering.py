"""Answering: partial answers saved page by page, then one submit that scores the response.

A link answers once. The second submit of the same link, even racing the first, gets
``Conflict`` ("already answered"): the response row is locked (``SELECT … FOR UPDATE``) and only
an in-progress response can be completed, and the database allows one response per invitation
(one-to-one). We chose "already answered" over "edit until closed": scores are computed once and
stored, and VoC analysis starts from the submitted text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from engagement.customers.models import Touchpoint
from engagement.platform import outbox
from engagement.platform.errors import Conflict, InvalidInput
from surveys import scoring
from surveys.flow import SurveyPlan, answer_value
from surveys.models import (
    TEXT_KINDS,
    Answer,
    Invitation,
    InvitationStatus,
    Question,
    QuestionKind,
    QuestionRole,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)

# C0 and C1 control characters except tab and line feed; CR is dropped (browsers send CRLF for a
# typed line break, so the text keeps the LF the customer typed).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Free text exactly as typed (emoji, full-/half-width kept; no normalisation), minus
    control characters."""
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def is_open(survey: Survey, now: datetime) -> bool:
    if survey.status != SurveyStatus.OPEN:
        return False
    if survey.opens_at and now < survey.opens_at:
        return False
    return not (survey.closes_at and now >= survey.closes_at)


def _check_open(survey: Survey, now: datetime) -> None:
    if not is_open(survey, now):
        raise Conflict(_("This survey is closed."), code="survey_closed")


def _validate(question: Question, value: Any) -> tuple[int | None, str, list[str]] | None:
    """(number, text, choices) for a valid value, None for "not answered"; raises InvalidInput."""

    def invalid(message: str) -> InvalidInput:
        return InvalidInput(message, fields={question.key: [message]})

    if value is None or value == "" or value == []:
        return None
    kind = question.kind
    if kind in (QuestionKind.NPS, QuestionKind.AGREEMENT, QuestionKind.RATING):
        low, high = {
            QuestionKind.NPS: (0, 10),
            QuestionKind.AGREEMENT: (1, 5),
            QuestionKind.RATING: (1, 5),
        }[kind]
        try:
            if isinstance(value, bool):
                raise TypeError
            number = int(value)
            if isinstance(value, float) and value != number:
                raise ValueError
        except (TypeError, ValueError):
            raise invalid(_("Please choose one of the options.")) from None
        if not low <= number <= high:
            raise invalid(_("Please choose one of the options."))
        return number, "", []
    if kind in TEXT_KINDS:
        if not isinstance(value, str):
            raise invalid(_("Please enter text."))
        text = clean_text(value)
        if len(text) > question.max_length:
            raise invalid(
                _("Please keep your answer within %(limit)s characters (now %(count)s).")
                % {"limit": question.max_length, "count": len(text)}
            )
        if not text.strip():
            return None
        return None, text, []
    allowed = {c.value for c in question.choices.all()}
    picked = value if isinstance(value, list | tuple) else [value]
    picked = [str(v) for v in picked]
    if kind == QuestionKind.SINGLE_CHOICE and len(picked) != 1:
        raise invalid(_("Please choose one of the options."))
    if any(v not in allowed for v in picked):
        raise invalid(_("Please choose one of the options."))
    return None, "", list(dict.fromkeys(picked))


def _current_values(response: Response, plan: SurveyPlan) -> dict[str, Any]:
    by_id = {q.id: q for q in plan.all_questions()}
    values: dict[str, Any] = {}
    for a in response.answers.all():
        q = by_id.get(a.question_id)
        if q is not None:
            values[q.key] = answer_value(q, number=a.number, text=a.text, choices=a.choices)
    return values


def start_response(
    *, survey: Survey, invitation: Invitation | None, now: datetime, language: str = ""
) -> Response:
    """The in-progress response of ``invitation`` (created on first use); a new anonymous
    response for the public link (``invitation=None``). ``language``: the version shown."""
    _check_open(survey, now)
    if invitation is None:
        return Response.objects.create(survey=survey, language=language)
    existing = Response.objects.filter(invitation=invitation).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Response.objects.create(
                survey=survey,
                invitation=invitation,
                customer_id=invitation.customer_id,
                language=language,
            )
    except IntegrityError:  # a concurrent request created it first
        return Response.objects.get(invitation=invitation)


def save_answers(
    *,
    response: Response,
    values: Mapping[str, Any],
    now: datetime,
    page_position: int | None = None,
    plan: SurveyPlan | None = None,
) -> Response:
    """Save (replace) the answers in ``values`` on an in-progress response; remember the page.

    Every value is validated first: on ``InvalidInput`` (naming each bad field) nothing is saved.
    """
    plan = plan or SurveyPlan.load(response.survey)
    by_key = plan.by_key()
    errors: dict[str, list[str]] = {}
    cleaned: dict[Question, tuple[int | None, str, list[str]] | None] = {}
    for key, value in values.items():
        question = by_key.get(key)
        if question is None:
            errors[key] = [_("There is no such question in this survey.")]
            continue
        try:
            cleaned[question] = _validate(question, value)
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors:
        raise InvalidInput(_("Some answers need your attention."), fields=errors)
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .select_related("survey")
            .get(id=response.id)
        )
        if locked.status == ResponseStatus.COMPLETED:
            raise Conflict(_("This survey has already been answered."), code="already_answered")
        _check_open(locked.survey, now)
        cleared = [question.id for question, parsed in cleaned.items() if parsed is None]
        if cleared:
            Answer.objects.filter(response=locked, question_id__in=cleared).delete()
        given = [
            Answer(response=locked, question=question, number=number, text=text, choices=choices)
            for question, parsed in cleaned.items()
            if parsed is not None
            for number, text, choices in [parsed]
        ]
        if given:  # one statement for the page: insert, or replace an earlier answer
            Answer.objects.bulk_create(
                given,
                update_conflicts=True,
                unique_fields=["response", "question"],
                update_fields=["number", "text", "choices", "updated_at"],
            )
        if page_position is not None:
            locked.current_page = page_position
            locked.save(update_fields=["current_page", "updated_at"])
    return locked


def complete_response(
    *, response: Response, now: datetime, touchpoint: str = "", plan: SurveyPlan | None = None
) -> Response:
    """Submit: check required answers, drop answers to questions that ended up hidden, score,
    store, and enqueue VoC ingestion. Raises ``Conflict`` when already answered."""
    plan = plan or SurveyPlan.load(response.survey)
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .select_related("survey")
            .get(id=response.id)
        )
        if locked.status == ResponseStatus.COMPLETED:
            raise Conflict(_("This survey has already been answered."), code="already_answered")
        _check_open(locked.survey, now)
        values = _current_values(locked, plan)
        visible = {q.id: q for p in plan.pages for q in plan.visible_questions(p, values)}
        missing = {
            q.key: [_("Please answer this question.")]
            for q in visible.values()
            if q.required and values.get(q.key) in (None, "", [])
        }
        if missing:
            raise InvalidInput(_("Some answers need your attention."), fields=missing)
        Answer.objects.filter(response=locked).exclude(question_id__in=visible).delete()
        values = {k: v for k, v in values.items() if any(q.key == k for q in visible.values())}
        _score(locked, plan, values, touchpoint)
        locked.status = ResponseStatus.COMPLETED
        locked.submitted_at = now
        locked.save()
        if locked.invitation_id:
            Invitation.objects.filter(id=locked.invitation_id).update(
                status=InvitationStatus.ANSWERED, answered_at=now, updated_at=now
            )
        outbox.enqueue(
            task_name="voc.ingest_response",
            kwargs={"response_id": locked.id},
            dedup_key=f"ingest-response-{locked.id}",
        )
    return locked


def _score(
    response: Response, plan: SurveyPlan, values: Mapping[str, Any], touchpoint: str
) -> None:
    nps = csat = None
    items: dict[str, int | None] = {}
    chosen_touchpoint = ""
    for q in plan.all_questions():
        value = values.get(q.key)
        if q.role == QuestionRole.NPS and q.kind == QuestionKind.NPS and nps is None:
            nps = value
        elif q.role == QuestionRole.CSAT and q.kind == QuestionKind.RATING and csat is None:
            csat = value
        elif q.role == QuestionRole.AWARENESS and q.awareness_item and value is not None:
            items[q.awareness_item] = value
        elif q.role == QuestionRole.TOUCHPOINT and isinstance(value, str):
            chosen_touchpoint = value
    indices = scoring.awareness_scores(items)
    response.nps_score = nps
    response.nps_category = scoring.nps_category(nps)
    response.csat_score = csat
    response.empathy_index = indices.empathy
    response.attachment_index = indices.attachment
    response.awareness_index = indices.awareness
    candidate = touchpoint or chosen_touchpoint
    response.touchpoint = candidate if candidate in Touchpoint.values else ""


def submit_response(
    *,
    survey: Survey,
    invitation: Invitation | None,
    answers: Mapping[str, Any],
    now: datetime,
    touchpoint: str = "",
) -> Response:
    """Answer ``survey`` in one call (API, imports, demo data): save, check, score, submit.

    ``answers`` maps question keys to values: int for NPS/agreement/rating, str for text, a
    choice value (or a list of them for multiple choice). ``now`` may be in the past (demo data).
    Atomic: on any error nothing is saved.
    """
    if invitation is not None and invitation.survey_id != survey.id:
        raise InvalidInput(_("This invitation belongs to another survey."))
    plan = SurveyPlan.load(survey)
    with transaction.atomic():
        response = start_response(survey=survey, invitation=invitation, now=now)
        if response.status == ResponseStatus.COMPLETED:
            raise Conflict(_("This survey has already been answered."), code="already_answered")
        response = save_answers(response=response, values=answers, now=now, plan=plan)
        response = complete_response(response=response, now=now, touchpoint=touchpoint, plan=plan)
    return response


def values_of(response: Response, plan: SurveyPlan | None = None) -> dict[str, Any]:
    """The saved answers of ``response`` as ``{question key: value}``."""
    return _current_values(response, plan or SurveyPlan.load(response.survey))


__all__ = [
    "clean_text",
    "complete_response",
    "is_open",
    "save_answers",
    "start_response",
    "submit_response",
    "values_of",
]
