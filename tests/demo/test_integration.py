"""seed_demo in the production shape: PostgreSQL, Redis broker, a real Celery worker ingesting
the survey answers into VoC."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from engagement.customers.models import BehaviourRecord, Customer
from engagement.platform.models import OutboxMessage
from surveys.models import Answer, Response
from voc.models import FeedbackItem

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_seed_demo_on_postgresql_with_a_real_worker(celery_worker_process, wait):
    call_command("seed_demo", customers=40, seed=3, stdout=StringIO())
    assert Customer.objects.count() == 40
    assert BehaviourRecord.objects.count() > 200
    texts = Answer.objects.filter(question__kind__in=["short_text", "long_text"]).count()
    assert Response.objects.filter(status="completed").count() >= 5 and texts >= 3

    # The worker (not an eager in-process call) turns every free-text answer into an item.
    wait(lambda: FeedbackItem.objects.filter(channel="survey").count() == texts, timeout=120)

    counts = (Customer.objects.count(), BehaviourRecord.objects.count(), Response.objects.count())
    out = StringIO()
    call_command("seed_demo", customers=40, seed=3, stdout=out)
    assert (
        Customer.objects.count(),
        BehaviourRecord.objects.count(),
        Response.objects.count(),
    ) == counts
    assert FeedbackItem.objects.filter(channel="survey").count() == texts


def test_seed_demo_workflow_reports_are_generated_by_the_worker(celery_worker_process, wait):
    """The staged reports go through the outbox by task name; the worker generates them."""
    from engagement.reports.models import Report, ReportStatus
    from voc.triage.models import Reply

    call_command("seed_demo", customers=60, seed=3, stdout=StringIO())
    texts = Answer.objects.filter(question__kind__in=["short_text", "long_text"]).count()
    wait(lambda: FeedbackItem.objects.filter(channel="survey").count() == texts, timeout=120)
    call_command("analyze_voc", stdout=StringIO())
    call_command("seed_demo_workflow", stdout=StringIO())
    assert set(FeedbackItem.objects.values_list("state", flat=True)) >= {
        "new",
        "in_progress",
        "waiting",
        "resolved",
        "no_action",
    }
    assert Reply.objects.filter(state="sent").exists()
    wait(
        lambda: Report.objects.filter(status=ReportStatus.DONE).count() == 2,
        timeout=180,
    )
    later = Report.objects.order_by("period_start").last()
    assert later.data["previous_report_id"] is not None
    # Everything the workflow enqueued is finished before the database is flushed for the next
    # test (a task still writing while the flush truncates the tables deadlocks it).
    wait(lambda: not OutboxMessage.objects.exclude(state="done").exists(), timeout=120)
