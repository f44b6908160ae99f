"""Real PostgreSQL, Redis and Celery worker (``-m integration``)."""

from __future__ import annotations

import email
import os
import re
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from engagement.customers.models import Customer
from engagement.platform.models import OutboxMessage
from surveys import services
from surveys.models import (
    Delivery,
    DeliveryStatus,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    Survey,
    Wave,
)

from .conftest import FULL_ANSWERS

pytestmark = [pytest.mark.integration, pytest.mark.urls("tests.surveys.urls")]


def _survey(slug: str) -> Survey:
    import datetime as dt

    wave, _ = Wave.objects.get_or_create(
        name=f"wave-{slug}",
        defaults={"starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2026, 6, 30)},
    )
    survey = services.create_template_survey(
        title="統合テスト", brand_name="さくらカフェ", wave=wave, slug=slug
    )
    services.open_survey(survey=survey)
    return survey


def _race(n: int, target) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # recorded for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_through_the_page_gives_one_response():
    assert connection.vendor == "postgresql"
    survey = _survey("race-pages")
    customers = [Customer.objects.create(external_id=f"R-{i}") for i in range(5)]
    pairs = services.create_invitations(survey=survey, customers=customers, now=timezone.now())
    for invitation, token in pairs:
        url = f"/s/{token}/"
        # Pages 1–4 answered; both browsers then send the last page at the same moment.
        response = services.start_response(survey=survey, invitation=invitation, now=timezone.now())
        services.save_answers(
            response=response,
            values={k: v for k, v in FULL_ANSWERS.items() if k not in ("csat", "ideas")},
            now=timezone.now(),
            page_position=5,
        )
        codes = _race(
            4,
            lambda i, url=url: (
                Client(REMOTE_ADDR=f"192.0.2.{i + 1}")
                .post(url, {"page": "5", "action": "next", "q-csat": str(i + 1)})
                .status_code
            ),
        )
        assert sorted(codes) == [303, 409, 409, 409], codes
        assert Response.objects.filter(invitation=invitation).count() == 1
        stored = Response.objects.get(invitation=invitation)
        assert stored.status == ResponseStatus.COMPLETED
        assert OutboxMessage.objects.filter(dedup_key=f"ingest-response-{stored.id}").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submit_response_calls_from_scratch():
    survey = _survey("race-service")
    customer = Customer.objects.create(external_id="R-svc")
    [(invitation, _)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )

    def submit(i: int):
        return services.submit_response(
            survey=survey,
            invitation=Invitation.objects.get(id=invitation.id),
            answers={**FULL_ANSWERS, "nps": i},
            now=timezone.now(),
        )

    results = _race(6, submit)
    ok = [r for r in results if isinstance(r, Response)]
    errors = [r for r in results if not isinstance(r, Response)]
    assert len(ok) == 1, results
    assert all(getattr(e, "code", "") == "already_answered" for e in errors), errors
    assert Response.objects.filter(invitation=invitation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_invitation_batch_sent_by_the_real_worker(celery_worker_process, wait, settings):
    mail_dir = Path(os.environ["EMAIL_FILE_PATH"])
    assert os.environ["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    mail_dir.mkdir(parents=True, exist_ok=True)
    before = set(mail_dir.iterdir())
    survey = _survey("celery-batch")
    now = timezone.now()
    ok = [
        Customer.objects.create(
            external_id=f"M-{i:03d}", email=f"m{i:03d}@example.jp", contact_allowed=True
        )
        for i in range(130)  # two batches (100 + 30)
    ]
    unsubscribed = Customer.objects.create(
        external_id="M-unsub", email="unsub@example.jp", contact_allowed=True, unsubscribed_at=now
    )
    recently = Customer.objects.create(
        external_id="M-recent", email="recent@example.jp", contact_allowed=True
    )
    earlier = _survey("celery-earlier")
    [(prev, _)] = services.create_invitations(survey=earlier, customers=[recently], now=now)
    Invitation.objects.filter(id=prev.id).update(
        sent_at=now - timezone.timedelta(days=3), status=InvitationStatus.SENT
    )
    services.create_invitations(survey=survey, customers=[*ok, unsubscribed, recently], now=now)

    queued = services.queue_invitation_emails(survey=survey, now=now)
    assert queued == 130  # unsubscribed and recently-surveyed customers are left out
    wait(
        lambda: (
            Delivery.objects.filter(invitation__survey=survey, status=DeliveryStatus.SENT).count()
            == 130
        ),
        timeout=90,
    )
    sent_to = set()
    bodies = {}
    for path in set(mail_dir.iterdir()) - before:
        for raw in path.read_text().split("-" * 79):
            if raw.strip():
                message = email.message_from_string(raw.strip())
                sent_to.add(message["To"])
                bodies[message["To"]] = message.get_payload(decode=True).decode("utf-8")
    assert {c.email for c in ok} <= sent_to
    assert "unsub@example.jp" not in sent_to and "recent@example.jp" not in sent_to
    # The e-mailed personal link opens that customer's survey.
    link = re.search(r"https?://\S+?(/s/\S+/)", bodies["m007@example.jp"]).group(1)
    assert Client().get(link).status_code == 200
    assert "/u/" in bodies["m007@example.jp"]
    assert Invitation.objects.filter(survey=survey, status=InvitationStatus.SENT).count() == 130
    # Queueing again sends nothing twice.
    assert services.queue_invitation_emails(survey=survey, now=timezone.now()) == 0
    for d in Delivery.objects.filter(invitation__survey=survey)[:3]:
        assert services.deliver(delivery_id=d.id) == DeliveryStatus.SENT
    assert Delivery.objects.filter(invitation__survey=survey).count() == 130
