"""LINE sends through the outbox and a real Celery worker on Redis (PostgreSQL), against a local
LINE stand-in: a transient failure retried, and a worker killed with SIGKILL in the middle of a
send with nothing lost and nothing sent twice."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from engagement.benchmarks import line_send
from engagement.customers.models import Customer
from surveys import services
from surveys.models import ChannelAccount, Delivery, DeliveryStatus
from tests.conftest import wait_until

from .fake_providers import LINE_SECRET, LINE_TOKEN, Answer, FakeLine

pytestmark = [pytest.mark.integration]


@pytest.mark.django_db(transaction=True)
def test_line_invitations_are_sent_by_the_worker_and_retried_after_a_500(
    survey, celery_worker_process
):
    server = FakeLine().start()
    try:
        # The worker is another process: it reads the channel from the database.
        ChannelAccount.objects.create(
            channel="line",
            api_base_url=server.base_url,
            access_token=LINE_TOKEN,
            secret=LINE_SECRET,
        )
        customers = [
            Customer.objects.create(
                external_id=f"IL-{i}", line_user_id="U" + f"{i:032x}", contact_allowed=True
            )
            for i in range(5)
        ]
        server.script = [Answer(500, {"message": "Internal server error"})]
        services.create_invitations(survey=survey, customers=customers, now=timezone.now())
        with transaction.atomic():
            assert services.queue_invitations(survey=survey, now=timezone.now()) == 5
        rows = Delivery.objects.filter(invitation__survey=survey)
        wait_until(lambda: rows.exclude(status=DeliveryStatus.QUEUED).count() == 5, timeout=60)
        failed = rows.get(status=DeliveryStatus.FAILED)
        assert failed.error == "LINE HTTP 500: Internal server error" and failed.next_attempt_at
        with transaction.atomic():
            assert services.retry_failed_deliveries(now=timezone.now() + timedelta(minutes=2)) == 1
        wait_until(lambda: rows.filter(status=DeliveryStatus.SENT).count() == 5, timeout=60)
        assert sorted(server.pushes.values()) == [1] * 5 and server.problems == []
        failed.refresh_from_db()
        assert failed.attempts == 2 and failed.channel == "line"
    finally:
        server.stop()
        ChannelAccount.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_and_duplicates_nothing(capsys):
    ChannelAccount.objects.filter(channel="line").delete()  # the benchmark refuses a saved one
    [result] = list(line_send.run_line_send(invitations=1500, kill_at=0.4, timeout=300))
    with capsys.disabled():
        print("\n" + json.dumps(result, ensure_ascii=False))
    if not result["finished"]:
        pytest.fail("not every send was recorded; the workers' log ends:\n" + _tail(result))
    assert result["queued"] == 1500
    assert 0 < result["accepted_at_kill"] < 1500
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["unexpected_requests"] == 0


def _tail(result: dict) -> str:
    path = Path(result.get("log") or "")
    return path.read_text(errors="replace")[-6000:] if path.is_file() else "(no log)"
