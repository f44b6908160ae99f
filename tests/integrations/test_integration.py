"""Webhooks and chat alerts through a real Celery worker on Redis and PostgreSQL: a detractor's
answer reaches the signed webhook receiver and Slack; a receiver answering 429 gets the delivery
again after its Retry-After (the beat's retry task); a broker outage when the answer arrives
delays the deliveries and loses none."""

from __future__ import annotations

import json
import time

import pytest
from django.db import transaction
from django.utils import timezone

from engagement.integrations import signing
from engagement.integrations.models import (
    ChatChannel,
    ChatDelivery,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.platform import outbox
from tests.brokers import CLOSED_BROKER, broker_at
from tests.surveys.conftest import FULL_ANSWERS

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def setup(receiver, slack) -> tuple[WebhookEndpoint, ChatChannel]:
    hook = WebhookEndpoint(name="CRM", url=receiver.base_url + "/in", events=["response.completed"])
    hook.full_clean()
    hook.save()
    room = ChatChannel(
        name="CS",
        provider="slack",
        webhook_url=slack.base_url + "/services/T/B/X",
        kinds=["detractor"],
    )
    room.full_clean()
    room.save()
    return hook, room


def answer(survey, nps=1):
    from surveys import services

    answers = {**FULL_ANSWERS, "nps": nps, "reason_detractor": "電話がつながりません"}
    answers.pop("reason_promoter")
    return services.submit_response(
        survey=survey, invitation=None, answers=answers, now=timezone.now()
    )


def test_detractor_answer_reaches_webhook_and_slack(
    celery_worker_process, wait, receiver, slack, survey
):
    hook, _room = setup(receiver, slack)
    response = answer(survey)
    wait(lambda: WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).exists(), timeout=60)
    wait(lambda: ChatDelivery.objects.filter(state=DeliveryState.DELIVERED).exists(), timeout=60)
    [request] = receiver.requests
    assert signing.verify(
        secret=hook.secret,
        timestamp=request.headers["X-Timestamp"],
        signature_header=request.headers["X-Signature"],
        body=request.body,
    )
    assert json.loads(request.body)["data"]["response_id"] == response.id
    [chat] = slack.requests
    text = json.loads(chat.body)["text"]
    assert text.startswith("批判者の回答（NPS 1）がありました")
    assert "電話がつながりません" in text


def test_rate_limited_receiver_gets_it_after_retry_after(
    celery_worker_process, wait, receiver, slack, survey
):
    from engagement.celery import app

    setup(receiver, slack)
    receiver.answer(429, b"slow down", {"Retry-After": "1"})
    answer(survey)
    delivery = wait(
        lambda: WebhookDelivery.objects.filter(state=DeliveryState.RETRYING).first(), timeout=60
    )
    assert delivery.status_code == 429
    time.sleep(1.2)
    app.send_task("integrations.retry_due")  # as beat does every 15 s
    wait(
        lambda: WebhookDelivery.objects.filter(
            id=delivery.id, state=DeliveryState.DELIVERED
        ).exists(),
        timeout=60,
    )
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body


def test_broker_outage_delays_but_loses_nothing(
    celery_worker_process, wait, receiver, slack, survey
):
    setup(receiver, slack)
    with broker_at(CLOSED_BROKER):
        with transaction.atomic():
            answer(survey)
        time.sleep(1)
        assert WebhookDelivery.objects.get().state == DeliveryState.PENDING
        assert ChatDelivery.objects.get().state == DeliveryState.PENDING
    assert outbox.sweep() >= 2  # the beat sweeper, once the broker is back
    wait(lambda: WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).exists(), timeout=60)
    wait(lambda: ChatDelivery.objects.filter(state=DeliveryState.DELIVERED).exists(), timeout=60)
    outbox.sweep()
    time.sleep(1)
    assert len(receiver.requests) == 1 and len(slack.requests) == 1
