"""Webhooks: what is recorded for each event, the exact signed request, and how each answer of
the receiver (2xx, 401, 429 with Retry-After, 500, time-out) is handled — against a local HTTP
server. The worker path is in test_integration.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engagement.integrations import services, signing
from engagement.integrations.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.platform.models import OutboxMessage
from tests.surveys.conftest import FULL_ANSWERS
from tests.triage.conftest import make_customer, make_item, make_staff

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    "response.completed",
    "feedback.created",
    "feedback.assigned",
    "feedback.resolved",
    "topic.spike",
]


def endpoint(receiver, events=None, **kwargs) -> WebhookEndpoint:
    obj = WebhookEndpoint(
        name="CRM", url=receiver.base_url + "/hooks/engagement", events=events or ALL_EVENTS
    )
    for name, value in kwargs.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def submit(survey, nps=3, reason="配送が遅くて困りました"):
    from surveys import services as survey_services

    answers = {**FULL_ANSWERS, "nps": nps}
    answers.pop("reason_promoter")
    answers["reason_detractor" if nps <= 6 else "reason_promoter"] = reason
    return survey_services.submit_response(
        survey=survey, invitation=None, answers=answers, now=timezone.now()
    )


def test_completed_response_is_signed_and_posted_exactly(receiver, survey):
    hook = endpoint(receiver)
    response = submit(survey, nps=3)
    delivery = WebhookDelivery.objects.get(endpoint=hook, event="response.completed")
    assert delivery.state == DeliveryState.PENDING
    # Recorded in the outbox in the same transaction as the answer.
    assert OutboxMessage.objects.filter(
        task_name="integrations.deliver_webhook", kwargs={"delivery_id": delivery.id}
    ).exists()

    assert services.deliver_webhook(delivery_id=delivery.id) == DeliveryState.DELIVERED
    [request] = receiver.requests
    assert request.method == "POST" and request.path == "/hooks/engagement"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-Event"] == "response.completed"
    assert request.headers["X-Delivery-Id"] == str(delivery.id)
    assert signing.verify(
        secret=hook.secret,
        timestamp=request.headers["X-Timestamp"],
        signature_header=request.headers["X-Signature"],
        body=request.body,
    )
    # The documented computation, by hand.
    import hashlib
    import hmac

    expected = hmac.new(
        hook.secret.encode(),
        request.headers["X-Timestamp"].encode() + b"." + request.body,
        hashlib.sha256,
    ).hexdigest()
    assert request.headers["X-Signature"] == f"sha256={expected}"
    payload = json.loads(request.body)
    assert payload["type"] == "response.completed"
    assert payload["id"] == request.headers["X-Event-Id"] == str(delivery.event_id)
    assert payload["data"]["response_id"] == response.id
    assert payload["data"]["nps_score"] == 3
    assert payload["data"]["nps_category"] == "detractor"
    assert payload["data"]["url"].endswith(f"/admin/surveys/response/{response.id}/change/")
    delivery.refresh_from_db()
    assert delivery.status_code == 200 and delivery.attempts == 1 and delivery.delivered_at
    # A second delivery of the same task sends nothing more.
    assert services.deliver_webhook(delivery_id=delivery.id) == DeliveryState.DELIVERED
    assert len(receiver.requests) == 1


def test_forged_or_old_signatures_do_not_verify():
    body = b'{"type":"response.completed"}'
    now = 1_800_000_000
    good = signing.signature(secret="s" * 30, timestamp=now, body=body)
    assert signing.verify(
        secret="s" * 30, timestamp=str(now), signature_header=good, body=body, now=now
    )
    assert not signing.verify(
        secret="t" * 30, timestamp=str(now), signature_header=good, body=body, now=now
    )
    assert not signing.verify(
        secret="s" * 30, timestamp=str(now), signature_header=good, body=body + b" ", now=now
    )
    assert not signing.verify(
        secret="s" * 30, timestamp=str(now), signature_header=good, body=body, now=now + 301
    )


def test_event_filter_per_endpoint(receiver, survey):
    only_feedback = endpoint(receiver, events=["feedback.created"])
    inactive = endpoint(receiver, is_active=False)
    submit(survey, nps=9, reason="とても良いです")
    assert not WebhookDelivery.objects.filter(endpoint=only_feedback).exists()
    assert not WebhookDelivery.objects.filter(endpoint=inactive).exists()
    item = make_item(customer=make_customer())
    from voc.services.announcements import announce_created

    assert announce_created(item_ids=[item.id]) == 1
    delivery = WebhookDelivery.objects.get(endpoint=only_feedback)
    assert delivery.event == "feedback.created"
    assert json.loads(delivery.body)["data"]["text"] == item.text
    # Emitting the same item again records nothing more.
    assert announce_created(item_ids=[item.id]) == 0


def test_feedback_created_through_the_api_path(receiver):
    endpoint(receiver, events=["feedback.created"])
    from voc.services import create_feedback_item

    item, created = create_feedback_item(text="アプリが落ちます", channel="support")
    assert created
    delivery = WebhookDelivery.objects.get(event="feedback.created")
    assert json.loads(delivery.body)["data"]["item_id"] == item.id


def test_assigned_and_resolved(receiver):
    endpoint(receiver, events=["feedback.assigned", "feedback.resolved"])
    from engagement.platform import roles
    from voc.triage import services as triage

    roles.sync_roles()
    agent = make_staff("hook_agent", roles.CS_AGENT)
    item = make_item()
    triage.assign_item(item_id=item.id, actor=agent, owner=agent)
    assigned = WebhookDelivery.objects.get(event="feedback.assigned")
    assert json.loads(assigned.body)["data"]["owner"] == "hook_agent"
    triage.change_state(item_id=item.id, actor=agent, state="in_progress")
    triage.change_state(item_id=item.id, actor=agent, state="resolved")
    resolved = WebhookDelivery.objects.get(event="feedback.resolved")
    assert json.loads(resolved.body)["data"]["state"] == "resolved"
    assert WebhookDelivery.objects.count() == 2


def deliver_once(receiver, **answer):
    hook = endpoint(receiver, events=["topic.spike"])
    services.emit_event(event="topic.spike", key="k1", data={"topic_id": 1})
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    if answer:
        receiver.answer(**answer)
    state = services.deliver_webhook(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert delivery.state == state
    return delivery


def test_500_waits_with_backoff_then_succeeds(receiver, settings):
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 5
    before = timezone.now()
    delivery = deliver_once(receiver, status=500, body=b"oops")
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.status_code == 500 and delivery.attempts == 1
    assert delivery.last_error == "送信先が HTTP 500 を返しました。"
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert 4 <= wait <= 7
    # Not due yet: a second delivery of the task sends nothing.
    assert services.deliver_webhook(delivery_id=delivery.id) == DeliveryState.RETRYING
    assert len(receiver.requests) == 1
    # The beat task enqueues it once due; then it goes through.
    assert services.retry_due_deliveries(now=timezone.now()) == 0
    assert services.retry_due_deliveries(now=delivery.next_attempt_at) == 1
    WebhookDelivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
    assert services.deliver_webhook(delivery_id=delivery.id) == DeliveryState.DELIVERED
    assert len(receiver.requests) == 2
    # The retry carries a fresh timestamp and a valid signature over the same body.
    first, second = receiver.requests
    assert first.body == second.body
    assert signing.verify(
        secret=delivery.endpoint.secret,
        timestamp=second.headers["X-Timestamp"],
        signature_header=second.headers["X-Signature"],
        body=second.body,
    )


def test_429_honours_retry_after(receiver):
    before = timezone.now()
    delivery = deliver_once(receiver, status=429, headers={"Retry-After": "120"})
    assert delivery.state == DeliveryState.RETRYING and delivery.status_code == 429
    assert 119 <= (delivery.next_attempt_at - before).total_seconds() <= 122
    assert "429" in delivery.last_error


def test_401_fails_at_once_with_a_japanese_reason(receiver):
    delivery = deliver_once(receiver, status=401, body=b"bad signature")
    assert delivery.state == DeliveryState.FAILED and delivery.status_code == 401
    assert delivery.last_error == (
        "送信先が認証情報を拒否しました（HTTP 401）。トークンまたは URL を確認してください。"
    )
    assert delivery.response_excerpt == "bad signature"


def test_timeout_is_retried(receiver, settings):
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    delivery = deliver_once(receiver, status=200, delay=1.0)
    assert delivery.state == DeliveryState.RETRYING
    assert delivery.status_code is None
    assert "0.3" in delivery.last_error


def test_connection_refused_is_retried_then_failed_but_kept(settings):
    settings.INTEGRATIONS_MAX_ATTEMPTS = 2
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = WebhookEndpoint.objects.create(
        name="down", url=f"http://127.0.0.1:{port}/x", events=["topic.spike"]
    )
    services.emit_event(event="topic.spike", key="k", data={})
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert services.deliver_webhook(delivery_id=delivery.id) == DeliveryState.RETRYING
    WebhookDelivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
    assert services.deliver_webhook(delivery_id=delivery.id) == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.last_error.startswith("接続できませんでした")


def test_replay_sends_the_same_event_again(receiver):
    delivery = deliver_once(receiver, status=410)
    assert delivery.state == DeliveryState.FAILED
    replay = services.replay_webhook_delivery(delivery_id=delivery.id)
    assert replay.replay_of == delivery and replay.event_id == delivery.event_id
    assert services.deliver_webhook(delivery_id=replay.id) == DeliveryState.DELIVERED
    assert receiver.requests[0].body == receiver.requests[1].body


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.jp/hook", "https:// で始まる完全な URL を入力してください。"),
        ("http://example.jp/hook", "https:// の URL のみ受け付けます。"),
        ("https://user:pw@example.jp/hook", "URL にユーザー名やパスワードを含めないでください。"),
        (
            "https://10.0.0.5/hook",
            "プライベートまたはローカルのアドレスを指す URL は受け付けません。",
        ),
    ],
)
def test_bad_endpoint_url_is_refused_in_japanese(url, message, settings):
    settings.INTEGRATIONS_ALLOW_LOOPBACK = False
    hook = WebhookEndpoint(name="x", url=url, events=["topic.spike"])
    with pytest.raises(ValidationError) as caught:
        hook.full_clean()
    assert message in caught.value.message_dict["url"]


def test_loopback_refused_in_production_settings(settings):
    settings.INTEGRATIONS_ALLOW_LOOPBACK = False
    hook = WebhookEndpoint(name="x", url="http://127.0.0.1:9/x", events=["topic.spike"])
    with pytest.raises(ValidationError):
        hook.full_clean()


def test_admin_refuses_a_bad_url_and_keeps_nothing(admin_client):
    response = admin_client.post(
        "/admin/integrations/webhookendpoint/add/",
        {
            "name": "CRM",
            "url": "https://192.168.1.10/hook",
            "events": ["response.completed"],
            "secret": "whsec_" + "a" * 40,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "プライベートまたはローカルのアドレスを指す URL は受け付けません。" in (
        response.content.decode()
    )
    assert not WebhookEndpoint.objects.exists()


def test_admin_replay_action(admin_client, receiver):
    delivery = deliver_once(receiver, status=500)
    response = admin_client.post(
        "/admin/integrations/webhookdelivery/",
        {"action": "replay", "_selected_action": [delivery.id]},
        follow=True,
    )
    assert response.status_code == 200
    assert WebhookDelivery.objects.filter(replay_of=delivery).count() == 1
    assert "1 件の配信をもう一度送信します。" in response.content.decode()


def test_delivery_log_lists_status_codes(admin_client, receiver):
    deliver_once(receiver, status=500)
    page = admin_client.get("/admin/integrations/webhookdelivery/").content.decode()
    assert "500" in page and "topic.spike" in page


def test_next_attempt_never_exceeds_an_hour(receiver):
    delivery = deliver_once(receiver, status=503, headers={"Retry-After": "999999"})
    assert delivery.next_attempt_at - timezone.now() <= dt.timedelta(hours=1, seconds=5)
