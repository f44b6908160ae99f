from __future__ import annotations

import pytest
from django.utils import timezone

from engagement.platform.errors import Conflict, InvalidInput
from engagement.platform.models import OutboxMessage
from surveys import services
from surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    NpsCategory,
    Question,
    QuestionRole,
    Response,
    ResponseStatus,
)

from .conftest import FULL_ANSWERS

pytestmark = pytest.mark.django_db


def test_template_survey_has_the_domain_questions(survey):
    questions = list(Question.objects.filter(survey=survey).order_by("page__position", "position"))
    keys = [q.key for q in questions]
    assert keys[0] == "nps"
    assert {"reason_detractor", "reason_passive", "reason_promoter"} <= set(keys)
    awareness = [q for q in questions if q.role == QuestionRole.AWARENESS]
    assert len(awareness) == 8
    assert all("さくらカフェ" in q.text for q in awareness)
    assert any(q.text == "さくらカフェが好きだ" for q in awareness)
    assert any(q.text_en == "I like さくらカフェ" for q in awareness)
    touchpoint = survey.questions.get(key="touchpoint")
    assert [c.value for c in touchpoint.choices.all()] == [
        "web",
        "app",
        "store",
        "call_center",
        "email",
        "sns",
    ]
    assert survey.questions.get(key="reason_detractor").show_if == {
        "question": "nps",
        "nps_category": "detractor",
    }


def test_submit_scores_stores_and_enqueues_ingestion(survey, invitation_token):
    invitation, _ = invitation_token
    past = timezone.now() - timezone.timedelta(days=40)
    response = services.submit_response(
        survey=survey, invitation=invitation, answers=FULL_ANSWERS, now=past
    )
    response.refresh_from_db()
    assert response.status == ResponseStatus.COMPLETED
    assert response.submitted_at == past
    assert response.nps_score == 9 and response.nps_category == NpsCategory.PROMOTER
    assert response.csat_score == 4
    assert response.touchpoint == "app"
    # attachment: like 5, satisfied 4, devotion 4, grateful 5, would_miss 3 -> mean 4.2 -> 80
    assert response.attachment_index == pytest.approx(80.0)
    # empathy: support 4, spread 2, vision 3 -> mean 3 -> 50
    assert response.empathy_index == pytest.approx(50.0)
    # all eight: 30 / 8 = 3.75 -> 68.75
    assert response.awareness_index == pytest.approx(68.75)
    assert (
        Answer.objects.get(response=response, question__key="ideas").text == "ﾃｽﾄ　全角スペースも"
    )
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    message = OutboxMessage.objects.get(dedup_key=f"ingest-response-{response.id}")
    assert message.task_name == "voc.ingest_response"
    assert message.kwargs == {"response_id": response.id}


def test_submit_twice_is_refused_and_keeps_one_response(survey, invitation_token):
    invitation, _ = invitation_token
    services.submit_response(
        survey=survey, invitation=invitation, answers=FULL_ANSWERS, now=timezone.now()
    )
    with pytest.raises(Conflict):
        services.submit_response(
            survey=survey,
            invitation=invitation,
            answers={**FULL_ANSWERS, "nps": 0},
            now=timezone.now(),
        )
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Response.objects.get(invitation=invitation).nps_score == 9


def test_hidden_reason_is_dropped_and_missing_required_is_refused(survey, invitation_token):
    invitation, _ = invitation_token
    with pytest.raises(InvalidInput) as exc:
        services.submit_response(
            survey=survey,
            invitation=invitation,
            answers={k: v for k, v in FULL_ANSWERS.items() if k != "aw_vision"},
            now=timezone.now(),
        )
    assert "aw_vision" in exc.value.fields
    assert not Response.objects.filter(invitation=invitation).exists()  # nothing half-written
    answers = {**FULL_ANSWERS, "nps": 3, "reason_detractor": "遅い", "reason_promoter": "x"}
    response = services.submit_response(
        survey=survey, invitation=invitation, answers=answers, now=timezone.now()
    )
    keys = set(response.answers.values_list("question__key", flat=True))
    assert "reason_detractor" in keys and "reason_promoter" not in keys
    assert response.nps_category == NpsCategory.DETRACTOR


@pytest.mark.parametrize(
    ("key", "value"),
    [("nps", 11), ("nps", -1), ("aw_like", 6), ("csat", 0), ("touchpoint", "fax"), ("nps", "x")],
)
def test_out_of_range_values_are_refused(survey, invitation_token, key, value):
    invitation, _ = invitation_token
    with pytest.raises(InvalidInput) as exc:
        services.submit_response(
            survey=survey,
            invitation=invitation,
            answers={**FULL_ANSWERS, key: value},
            now=timezone.now(),
        )
    assert key in exc.value.fields


def test_control_characters_are_stripped_and_text_kept_exactly():
    typed = "ｶﾞｷﾞ　ＡＢＣ abc 👨‍👩‍👧 e\u0301\r\n二行目\x00\x07\x1b[31m\x7f\x85\tタブ"
    assert services.clean_text(typed) == "ｶﾞｷﾞ　ＡＢＣ abc 👨‍👩‍👧 e\u0301\n二行目[31m\tタブ"


def test_free_text_limit(survey, invitation_token):
    invitation, _ = invitation_token
    ok = "あ" * 4999 + "😀"
    response = services.submit_response(
        survey=survey,
        invitation=invitation,
        answers={**FULL_ANSWERS, "ideas": ok},
        now=timezone.now(),
    )
    assert response.answers.get(question__key="ideas").text == ok
    from engagement.customers.models import Customer

    other = Customer.objects.create(external_id="C-002")
    [(inv2, _)] = services.create_invitations(survey=survey, customers=[other], now=timezone.now())
    with pytest.raises(InvalidInput):
        services.submit_response(
            survey=survey,
            invitation=inv2,
            answers={**FULL_ANSWERS, "ideas": ok + "x"},
            now=timezone.now(),
        )


def test_create_invitations_is_idempotent(survey, customer):
    first = services.create_invitations(survey=survey, customers=[customer], now=timezone.now())
    again = services.create_invitations(
        survey=survey, customers=[customer, customer], now=timezone.now()
    )
    assert Invitation.objects.filter(survey=survey).count() == 1
    assert first == again
    token = first[0][1]
    assert len(token.split(".")[0]) == 24  # 144 random bits
    assert first[0][0].nonce in token and token != first[0][0].nonce


def test_edits_that_break_answers_are_refused(survey, invitation_token):
    question = survey.questions.get(key="nps")
    services.check_question_change(question=question, changed=["kind"])  # no answers yet: fine
    invitation, _ = invitation_token
    services.submit_response(
        survey=survey, invitation=invitation, answers=FULL_ANSWERS, now=timezone.now()
    )
    services.check_question_change(question=question, changed=["text", "help_text"])
    with pytest.raises(Conflict, match="キー・種類・役割"):
        services.check_question_change(question=question, changed=["kind"])
    with pytest.raises(Conflict, match="削除できません"):
        services.check_question_change(question=question, delete=True)
    new_required = Question(
        survey=survey, page=question.page, position=9, key="new", kind="short_text", required=True
    )
    with pytest.raises(Conflict, match="任意"):
        services.check_question_change(question=new_required)
    new_required.required = False
    services.check_question_change(question=new_required)  # optional additions are fine
    choice = survey.questions.get(key="touchpoint").choices.first()
    services.check_choice_change(choice=choice, changed=["label"])
    with pytest.raises(Conflict):
        services.check_choice_change(choice=choice, changed=["value"])


def test_status_transitions(survey):
    with pytest.raises(Conflict):
        services.open_survey(survey=survey)
    services.close_survey(survey=survey)
    with pytest.raises(Conflict):
        services.close_survey(survey=survey)
