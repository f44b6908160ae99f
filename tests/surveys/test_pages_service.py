"""The customer page service (surveys.services.pages) and the cached survey plan."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.flow import SurveyPlan
from surveys.models import Choice, Question, Response, ResponseStatus, Survey
from surveys.services import pages

pytestmark = pytest.mark.django_db


def _fresh(survey: Survey) -> Survey:
    return Survey.objects.get(id=survey.id)


def test_plan_is_read_once_and_again_after_a_question_or_choice_changes(survey):
    SurveyPlan.load(_fresh(survey))
    with CaptureQueriesContext(connection) as queries:
        plan = SurveyPlan.load(_fresh(survey))
    assert len(queries) == 1  # the survey row itself; pages, questions and choices are cached
    nps = plan.by_key()["nps"]

    Question.objects.filter(id=nps.id).first().save()  # any edit through the ORM
    question = Question.objects.get(id=nps.id)
    question.text = "友人や同僚に勧める可能性はどのくらいありますか？"
    question.save()
    assert SurveyPlan.load(_fresh(survey)).by_key()["nps"].text == question.text

    choice = Choice.objects.filter(question__survey=survey).first()
    choice.label = "新しいラベル"
    choice.save()
    reread = SurveyPlan.load(_fresh(survey))
    labels = [c.label for q in reread.all_questions() for c in q.choices.all()]
    assert "新しいラベル" in labels


def test_answer_page_moves_through_the_pages_and_submits_once(survey, invitation_token):
    invitation, _token = invitation_token
    plan = SurveyPlan.load(survey)
    now = timezone.now()

    def start() -> Response:
        return Response.objects.create(survey=survey, invitation=invitation)

    response = None
    seen = []
    for _step in range(len(plan.pages) + 1):
        position = pages.locate(plan=plan, response=response)
        assert position is not None
        seen.append(position.current)
        values = {}
        for question in position.questions():
            if question.kind == "nps":
                values[question.key] = 8
            elif question.kind in {"agreement", "rating"}:
                values[question.key] = 4
            elif question.choices.all():
                first = question.choices.all()[0].value
                values[question.key] = [first] if question.kind == "multiple_choice" else first
            else:
                values[question.key] = "とても良かったです"
        result = pages.answer_page(
            position=position,
            response=response,
            start=start,
            values=values,
            going_back=False,
            now=now,
        )
        response = result.response
        if result.outcome == pages.PageOutcome.COMPLETED:
            break
        assert result.outcome == pages.PageOutcome.SAVED
    assert result.outcome == pages.PageOutcome.COMPLETED
    assert seen == sorted(seen) and len(set(seen)) == len(seen)  # forward, no page twice
    response.refresh_from_db()
    assert response.status == ResponseStatus.COMPLETED and response.nps_score == 8

    again = pages.answer_page(
        position=position, response=response, start=start, values={}, going_back=False, now=now
    )
    assert again.outcome == pages.PageOutcome.ALREADY_ANSWERED
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_answer_page_going_back_keeps_what_was_typed(survey, invitation_token):
    invitation, _token = invitation_token
    plan = SurveyPlan.load(survey)
    now = timezone.now()
    first = pages.locate(plan=plan, response=None)
    result = pages.answer_page(
        position=first,
        response=None,
        start=lambda: Response.objects.create(survey=survey, invitation=invitation),
        values={"nps": 3},
        going_back=False,
        now=now,
    )
    second = pages.locate(plan=plan, response=result.response)
    assert second.current > first.current
    back = pages.answer_page(
        position=second,
        response=result.response,
        start=lambda: result.response,
        values={"reason_detractor": "待ち時間が長い"},
        going_back=True,
        now=now,
    )
    assert back.outcome == pages.PageOutcome.SAVED
    position = pages.locate(plan=plan, response=back.response)
    assert position.current == first.current
    assert position.values["reason_detractor"] == "待ち時間が長い"
