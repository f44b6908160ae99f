"""The ingest task on a real Celery worker against PostgreSQL and Redis (no eager mode)."""

from __future__ import annotations

import pytest
from django.db import transaction

from engagement.platform import outbox
from engagement.platform.models import OutboxMessage
from voc.models import FeedbackItem

from .test_ingest import _survey_response

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
def test_ingest_response_runs_on_the_worker(celery_worker_process, wait):
    response = _survey_response(
        {"reason": "解約の手続きが分かりにくい", "ideas": "アプリで解約したい"}
    )
    with transaction.atomic():
        first = outbox.enqueue(
            task_name="voc.ingest_response",
            kwargs={"response_id": response.id},
            dedup_key=f"ingest-response-{response.id}",
        )
    wait(lambda: OutboxMessage.objects.get(id=first.id).state == "done", timeout=60)
    items = FeedbackItem.objects.filter(response=response).order_by("id")
    assert items.count() == 2
    assert all(item.tokenized_at and "解約" in item.tokens for item in items)
    assert {item.nps_category for item in items} == {"detractor"}
    # A second delivery (another message for the same response) creates nothing more.
    with transaction.atomic():
        second = outbox.enqueue(
            task_name="voc.ingest_response",
            kwargs={"response_id": response.id},
            dedup_key=f"ingest-response-{response.id}-again",
        )
    wait(lambda: OutboxMessage.objects.get(id=second.id).state == "done", timeout=60)
    assert FeedbackItem.objects.filter(response=response).count() == 2
