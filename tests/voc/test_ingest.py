"""Feedback in: survey answers (idempotent), CSV import edge cases, the API endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from engagement.customers.models import Customer
from engagement.platform.csvfiles import CsvFileError
from engagement.platform.models import OutboxMessage
from voc.models import FeedbackItem
from voc.services import import_feedback, ingest_survey_response
from voc.tasks import ingest_response


def _survey_response(texts: dict[str, str], *, nps: int = 3):
    from surveys.models import Answer, Page, Question, Response, Survey, Wave

    today = dt.date(2026, 11, 1)
    wave = Wave.objects.create(name="2026-11", starts_on=today, ends_on=today)
    survey = Survey.objects.create(title="t", slug="t", brand_name="B", wave=wave, status="open")
    page = Page.objects.create(survey=survey, position=1)
    customer = Customer.objects.create(external_id="C-1")
    response = Response.objects.create(
        survey=survey,
        customer=customer,
        status="completed",
        submitted_at=timezone.now(),
        nps_score=nps,
        nps_category="detractor",
        touchpoint="app",
    )
    nps_q = Question.objects.create(
        survey=survey, page=page, position=1, key="nps", kind="nps", text="推奨度"
    )
    Answer.objects.create(response=response, question=nps_q, number=nps)
    for position, (key, text) in enumerate(texts.items(), start=2):
        question = Question.objects.create(
            survey=survey, page=page, position=position, key=key, kind="long_text", text=key
        )
        Answer.objects.create(response=response, question=question, text=text)
    return response


@pytest.mark.django_db
def test_ingest_creates_one_item_per_free_text_answer_and_is_idempotent():
    response = _survey_response(
        {"reason": "アプリが使いにくい", "ideas": "", "other": "配送が遅い"}
    )
    created = ingest_survey_response(response_id=response.id)
    assert len(created) == 2  # the empty answer is not feedback
    item = FeedbackItem.objects.get(answer__question__key="reason")
    assert item.channel == "survey"
    assert item.customer.external_id == "C-1"
    assert (item.nps_score, item.nps_category, item.touchpoint) == (3, "detractor", "app")
    assert item.received_at == response.submitted_at
    assert item.tokens == ["アプリ", "使いにくい"] and item.sentiment == "negative"
    # Each new item is handed to triage once (the items of one response in one message).
    handed = [
        item_id
        for message in OutboxMessage.objects.filter(task_name="triage.apply_rules")
        for item_id in message.kwargs["item_ids"]
    ]
    assert sorted(handed) == sorted(item.id for item in created)
    # Running the task again (a redelivery) creates nothing more.
    assert ingest_response(response_id=response.id) == 0
    assert ingest_survey_response(response_id=response.id) == []
    assert FeedbackItem.objects.count() == 2
    assert OutboxMessage.objects.filter(task_name="triage.apply_rules").count() == 1


@pytest.mark.django_db
def test_ingest_of_unknown_or_unsubmitted_response_does_nothing():
    assert ingest_survey_response(response_id=987654) == []


CSV = (
    "text,channel,received_at,customer_external_id,rating,external_id,store\n"
    "解約したいのに手続きが分かりにくい,support,2026/11/01 10:00,C-9,2,T-1,渋谷\n"
    "配送が早くて助かりました,review,2026-11-02,,5,R-1,\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_import_reads_excel_encodings_and_keeps_extra_columns(encoding):
    Customer.objects.create(external_id="C-9")
    result = import_feedback(source=CSV.encode(encoding))
    assert (result.created, result.duplicates) == (2, 0)
    item = FeedbackItem.objects.get(external_id="T-1")
    assert item.channel == "support" and item.rating == 2
    assert item.customer.external_id == "C-9"
    assert item.attributes == {"store": "渋谷"}
    assert item.received_at == dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)  # 10:00 JST
    assert "解約" in item.tokens


@pytest.mark.django_db
def test_reimport_never_duplicates_even_without_external_id():
    Customer.objects.create(external_id="C-9")
    no_ids = "text,channel\nアプリが落ちる,sns\n駅から遠い,review\n"
    first = import_feedback(source=CSV.encode())
    again = import_feedback(source=CSV.encode("cp932"))
    plain_first = import_feedback(source=no_ids.encode())
    plain_again = import_feedback(source=no_ids.encode())
    assert (first.created, again.created, again.duplicates) == (2, 0, 2)
    assert (plain_first.created, plain_again.created, plain_again.duplicates) == (2, 0, 2)
    assert FeedbackItem.objects.count() == 4


@pytest.mark.django_db
def test_bad_row_imports_nothing_and_names_row_and_column():
    bad = (
        "text,channel,rating,received_at\n"
        "良いお店です,review,4,2026-11-01\n"
        ",review,3,2026-11-01\n"
        "遅い,fax,abc,昨日\n"
    )
    with pytest.raises(CsvFileError) as caught:
        import_feedback(source=bad.encode())
    assert FeedbackItem.objects.count() == 0
    where = {(error.row, error.column) for error in caught.value.errors}
    assert where == {(3, "text"), (4, "channel"), (4, "rating"), (4, "received_at")}
    # Asked to: the good row only.
    result = import_feedback(source=bad.encode(), skip_bad_rows=True)
    assert result.created == 1 and result.skipped_rows == 2
    assert list(FeedbackItem.objects.values_list("text", flat=True)) == ["良いお店です"]


@pytest.mark.django_db
def test_error_messages_are_japanese():
    from django.utils import translation

    with translation.override("ja"), pytest.raises(CsvFileError) as caught:
        import_feedback(source="text,rating\n良い,99\n".encode())
    message = caught.value.message
    assert "何も取り込んでいません" in message
    assert "2行目" in message and "「rating」列" in message


@pytest.mark.django_db
def test_import_command(tmp_path, capsys):
    path = tmp_path / "feedback.csv"
    path.write_bytes("text,channel\nポイント還元が少ない,sns\n".encode("cp932"))
    call_command("import_feedback", str(path))
    assert FeedbackItem.objects.get().tokens == ["ポイント還元", "少ない"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"channel\nsns\n")
    with pytest.raises(CommandError):
        call_command("import_feedback", str(bad))


def _staff(*codenames: str) -> User:
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.django_db
def test_api_creates_feedback_and_deduplicates():
    client = APIClient()
    payload = {"text": "問い合わせの返信が来ない", "channel": "support", "external_id": "Z-1"}
    assert client.post("/api/v1/voc/feedback/", payload, format="json").status_code in (401, 403)
    # Every team's items (engagement.platform.scope), so the search below finds the new one.
    client.force_authenticate(_staff("view_feedbackitem", "view_all_teams"))
    assert client.post("/api/v1/voc/feedback/", payload, format="json").status_code == 403
    user = User.objects.get(username="staff")
    user.user_permissions.add(Permission.objects.get(codename="add_feedbackitem"))
    client.force_authenticate(User.objects.get(id=user.id))
    first = client.post("/api/v1/voc/feedback/", payload, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["tokens"] == ["問い合わせ", "返信", "来る_ない"]
    again = client.post("/api/v1/voc/feedback/", payload, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    bad = client.post("/api/v1/voc/feedback/", {"text": " ", "channel": "fax"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]
    unknown = client.post(
        "/api/v1/voc/feedback/",
        {"text": "良い", "channel": "sns", "customer_external_id": "nobody"},
        format="json",
    )
    assert (
        unknown.status_code == 400 and "customer_external_id" in unknown.json()["error"]["fields"]
    )
    found = client.get("/api/v1/voc/search/", {"q": "返信"})
    assert [row["id"] for row in found.json()["results"]] == [first.json()["id"]]


@pytest.mark.django_db
def test_a_large_import_hands_its_items_to_triage_in_batches(monkeypatch):
    from voc.services import ingest

    monkeypatch.setattr(ingest, "TRIAGE_BATCH", 4)
    rows = "\n".join(f"f{i},review,配送が遅い{i}" for i in range(10))
    result = import_feedback(source=f"external_id,channel,text\n{rows}\n".encode())
    messages = list(OutboxMessage.objects.filter(task_name="triage.apply_rules").order_by("id"))
    assert [len(m.kwargs["item_ids"]) for m in messages] == [4, 4, 2]
    handed = [item_id for m in messages for item_id in m.kwargs["item_ids"]]
    assert sorted(handed) == sorted(result.item_ids) and len(set(handed)) == 10
