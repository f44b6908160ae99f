"""What a customer page costs, and that the cheaper reads and writes keep every rule.

The personal-link read (``selectors.answering_invitation``) is SQL compiled once per process;
a page save claims the response with one conditional UPDATE and writes its answers with one
``INSERT … ON CONFLICT`` (``services.answering``). These tests pin the number of statements a
page costs and prove the rules the faster path must keep: one answer per link, nothing written
to a closed survey or a submitted response, an earlier answer replaced, an emptied one removed.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from engagement.platform.errors import Conflict
from surveys import selectors, services
from surveys.models import Answer, Invitation, Response, ResponseStatus, SurveyStatus
from surveys.services.answering import answer_rows, values_of
from tests.surveys.conftest import FULL_ANSWERS
from tests.surveys.test_views import AWARENESS, answer_all, post, url_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

ARRAYS = connection.vendor == "postgresql"  # the saved answers come with the invitation row


def _statements(captured: CaptureQueriesContext) -> list[str]:
    """The SQL sent, without the transaction brackets."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split()[0] not in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "SET"}
    ]


ASYNC = "SET LOCAL synchronous_commit = off"


def test_answering_invitation_is_what_the_orm_reads(invitation_token):
    invitation, _ = invitation_token
    nonce = invitation.nonce
    state = selectors.answering_invitation(nonce=nonce)
    assert state is not None and state.response is None
    assert state.answer_rows == ([] if ARRAYS else None)

    response = services.start_response(
        survey=invitation.survey, invitation=invitation, now=timezone.now()
    )
    services.save_answers(
        response=response, values={"nps": 3, "reason_detractor": "遅い"}, now=timezone.now(),
        page_position=3,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        state = selectors.answering_invitation(nonce=nonce)
    assert len(captured) == 1
    fresh = Invitation.objects.select_related("survey", "response").get(nonce=nonce)
    for field in Invitation._meta.concrete_fields:
        assert getattr(state.invitation, field.attname) == getattr(fresh, field.attname)
    for field in type(fresh.survey)._meta.concrete_fields:
        assert getattr(state.invitation.survey, field.attname) == getattr(
            fresh.survey, field.attname
        )
    for field in Response._meta.concrete_fields:
        assert getattr(state.response, field.attname) == getattr(fresh.response, field.attname)
    assert state.response.current_page == 3
    assert state.invitation.response is state.response
    assert state.response.survey is state.invitation.survey
    if ARRAYS:
        assert state.answer_rows == answer_rows(fresh.response)
        assert {row["number"] for row in state.answer_rows} == {3, None}
    assert selectors.answering_invitation(nonce="not-a-nonce") is None


@pytest.mark.django_db(transaction=True)  # the page save owns its transaction, as in production
def test_a_page_costs_a_fixed_small_number_of_statements(client, invitation_token):
    _, token = invitation_token
    url = url_of(token)
    client.get(url)  # reads the survey plan into this process's cache
    post(client, url, {"page": "1", "action": "next", "q-nps": "2"})
    read = 1 if ARRAYS else 2  # invitation + survey + response (+ its answers)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    assert len(_statements(captured)) == read, _statements(captured)
    with CaptureQueriesContext(connection) as captured:
        r = post(client, url, {"page": "2", "action": "next", "q-reason_detractor": "遅い"})
    assert r.status_code == 303
    # The read, one UPDATE claiming the in-progress response, one INSERT … ON CONFLICT.
    statements = _statements(captured)
    assert len(statements) == read + 2, statements
    assert statements[-2].startswith("UPDATE") and "ON CONFLICT" in statements[-1]
    # PostgreSQL: the page save's own transaction does not wait for the disk.
    assert [q["sql"] for q in captured.captured_queries].count(ASYNC) == (1 if ARRAYS else 0)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{url}thanks/").status_code == 303  # not submitted yet: back
    assert len(_statements(captured)) == 1  # the answers are read with it, or not at all


def test_saving_on_a_submitted_response_is_refused_and_writes_nothing(invitation_token):
    invitation, token = invitation_token
    from django.test import Client

    client = Client()
    assert answer_all(client, url_of(token)).status_code == 303
    response = Response.objects.get(invitation=invitation)
    assert response.status == ResponseStatus.COMPLETED
    before = list(Answer.objects.filter(response=response).order_by("id").values())
    stale = Response.objects.get(id=response.id)
    stale.status = ResponseStatus.IN_PROGRESS  # as a racing request read it before the submit
    with pytest.raises(Conflict) as refused:
        services.save_answers(
            response=stale, values={"csat": 5, "ideas": "追記"}, now=timezone.now(),
            page_position=1,
        )  # fmt: skip
    assert refused.value.code == "already_answered"
    assert list(Answer.objects.filter(response=response).order_by("id").values()) == before
    assert Response.objects.get(id=response.id).current_page == response.current_page
    # Through the page: the already-answered page (409), and still one response for the link.
    r = post(client, url_of(token), {"page": "5", "action": "next", "q-csat": "5"})
    assert r.status_code == 409 and Response.objects.filter(invitation=invitation).count() == 1


def test_saving_after_the_survey_closed_is_refused_and_rolled_back(invitation_token):
    invitation, _ = invitation_token
    survey = invitation.survey
    response = services.start_response(survey=survey, invitation=invitation, now=timezone.now())
    services.save_answers(response=response, values={"nps": 9}, now=timezone.now(), page_position=2)
    survey.status = SurveyStatus.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    with pytest.raises(Conflict) as refused:
        services.save_answers(
            response=response, values={"nps": 1}, now=timezone.now(), page_position=3
        )
    assert refused.value.code == "survey_closed"
    stored = Response.objects.get(id=response.id)
    assert stored.current_page == 2  # the claiming UPDATE was rolled back with the refusal
    assert Answer.objects.get(response=response).number == 9


def test_a_page_save_replaces_and_removes_earlier_answers(invitation_token):
    invitation, _ = invitation_token
    survey = invitation.survey
    response = services.start_response(survey=survey, invitation=invitation, now=timezone.now())
    awareness = {key.removeprefix("q-"): value for key, value in AWARENESS.items()}
    services.save_answers(response=response, values=awareness, now=timezone.now())
    services.save_answers(
        response=response, values={"aw_like": 1, "aw_vision": None, "touchpoint": "app"},
        now=timezone.now(), page_position=4,
    )  # fmt: skip
    saved = values_of(Response.objects.get(id=response.id))
    assert saved["aw_like"] == 1 and "aw_vision" not in saved and saved["touchpoint"] == "app"
    assert saved["aw_satisfied"] == 5
    assert Answer.objects.filter(response=response).count() == len(awareness)  # -1 +1
    with pytest.raises(Response.DoesNotExist):  # as before: an unknown response is an error
        services.save_answers(
            response=Response(id=10**9, survey=survey), values={"nps": 1}, now=timezone.now()
        )


@pytest.mark.django_db(transaction=True)
def test_the_submit_waits_for_the_disk_and_flushes_the_page_saves(client, invitation_token):
    invitation, token = invitation_token
    url = url_of(token)
    post(client, url, {"page": "1", "action": "next", "q-nps": "2"})
    post(client, url, {"page": "2", "action": "next", "q-reason_detractor": "遅い"})
    post(client, url, {"page": "3", "action": "next", **AWARENESS})
    post(client, url, {"page": "4", "action": "next", "q-touchpoint": "store"})
    with CaptureQueriesContext(connection) as captured:
        r = post(client, url, {"page": "5", "action": "next", "q-csat": "2"})
    assert r.status_code == 303 and r["Location"].endswith("/thanks/")
    sql = [q["sql"] for q in captured.captured_queries]
    if ARRAYS:
        # The last page's save is asynchronous; the submit after it is an ordinary commit,
        # which also makes every earlier asynchronous commit durable.
        # (Later transactions of the same request, e.g. the audit log's flush, are their own.)
        first_commit = sql.index("COMMIT")
        assert sql[:first_commit].count(ASYNC) == 1
        submit_commit = sql.index("COMMIT", first_commit + 1)
        assert ASYNC not in sql[first_commit + 1 : submit_commit]
    else:
        assert ASYNC not in sql
    assert Response.objects.get(invitation=invitation).status == ResponseStatus.COMPLETED


def test_a_service_call_inside_a_transaction_keeps_its_commit_synchronous(invitation_token):
    invitation, _ = invitation_token
    with CaptureQueriesContext(connection) as captured:
        services.submit_response(
            survey=invitation.survey,
            invitation=invitation,
            answers=FULL_ANSWERS,
            now=timezone.now(),
        )
    assert ASYNC not in [q["sql"] for q in captured.captured_queries]
