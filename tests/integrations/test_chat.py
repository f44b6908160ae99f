"""Chat alerts: Slack, Microsoft Teams and Chatwork requests checked exactly against a local
server answering as each provider does (errors included), per-team routing, and the alerts
raised by a detractor answer, an SLA breach and a topic spike."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from engagement.customers.models import Team
from engagement.integrations import services
from engagement.integrations.models import ChatChannel, ChatDelivery, DeliveryState
from tests.surveys.conftest import FULL_ANSWERS
from tests.triage.conftest import make_item, make_staff

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef0123456789abcdef"
KINDS = ["detractor", "sla_breach", "topic_spike"]


def channel(provider, server=None, *, team=None, kinds=None, **fields) -> ChatChannel:
    values = {"name": f"{provider} room", "provider": provider, "kinds": kinds or KINDS}
    if provider == "chatwork":
        values.update(api_token=TOKEN, room_id="123456")
    else:
        values["webhook_url"] = server.base_url + "/services/T000/B000/XXXX"
    values.update(fields)
    obj = ChatChannel(team=team, **values)
    obj.full_clean()
    obj.save()
    return obj


def send(kind="detractor", team_id=None, text="批判者の回答がありました & <注意>"):
    services.notify_chat(
        kind=kind, key="k1", text=text, link="https://engage.example.jp/x/1", team_id=team_id
    )
    return [
        (d, services.deliver_chat(delivery_id=d.id)) for d in ChatDelivery.objects.order_by("id")
    ]


def test_slack_incoming_webhook_request(slack):
    channel("slack", slack)
    [(_delivery, state)] = send()
    assert state == DeliveryState.DELIVERED
    [request] = slack.requests
    assert request.path == "/services/T000/B000/XXXX"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "text": "批判者の回答がありました &amp; &lt;注意&gt;\n<https://engage.example.jp/x/1|開く>"
    }


def test_teams_workflow_request(teams):
    channel("teams", teams)
    [(delivery, state)] = send()
    assert state == DeliveryState.DELIVERED
    delivery.refresh_from_db()
    assert delivery.status_code == 202
    body = json.loads(teams.requests[0].body)
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0] == {
        "type": "TextBlock",
        "text": "批判者の回答がありました & <注意>",
        "wrap": True,
    }
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "開く", "url": "https://engage.example.jp/x/1"}
    ]


def test_chatwork_request(chatwork):
    channel("chatwork")
    [(_delivery, state)] = send()
    assert state == DeliveryState.DELIVERED
    [request] = chatwork.requests
    assert request.path == "/v2/rooms/123456/messages"
    assert request.headers["X-ChatWorkToken"] == TOKEN
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode()) == {
        "body": ["批判者の回答がありました & <注意>\nhttps://engage.example.jp/x/1"]
    }


def test_chatwork_invalid_token_fails_with_a_japanese_reason(chatwork):
    channel("chatwork")
    chatwork.answer(401, b'{"errors":["Invalid API token"]}', {"Content-Type": "application/json"})
    [(delivery, state)] = send()
    assert state == DeliveryState.FAILED
    delivery.refresh_from_db()
    assert delivery.status_code == 401
    assert "トークンまたは URL を確認してください" in delivery.last_error
    assert "Invalid API token" in delivery.response_excerpt


def test_slack_rate_limit_and_server_error_are_retried_not_lost(slack):
    channel("slack", slack)
    slack.answer(429, b"rate_limited", {"Retry-After": "30"})
    [(delivery, state)] = send()
    assert state == DeliveryState.RETRYING
    delivery.refresh_from_db()
    assert 28 <= (delivery.next_attempt_at - timezone.now()).total_seconds() <= 31
    slack.answer(500, b"")
    ChatDelivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
    assert services.deliver_chat(delivery_id=delivery.id) == DeliveryState.RETRYING
    ChatDelivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
    assert services.deliver_chat(delivery_id=delivery.id) == DeliveryState.DELIVERED
    assert len(slack.requests) == 3
    assert len({r.body for r in slack.requests}) == 1


def test_teams_timeout_is_retried(teams, settings):
    settings.INTEGRATIONS_HTTP_TIMEOUT = 0.3
    channel("teams", teams)
    teams.answer(202, b"", delay=1.0)
    [(_delivery, state)] = send()
    assert state == DeliveryState.RETRYING


def test_per_team_routing(slack):
    team_a = Team.objects.create(name="A班")
    team_b = Team.objects.create(name="B班")
    everyone = channel("slack", slack, name="all")
    room_a = channel("slack", slack, team=team_a, name="a")
    channel("slack", slack, team=team_b, name="b")
    channel("slack", slack, kinds=["topic_spike"], name="spikes only")
    services.notify_chat(kind="sla_breach", key="s1", text="x", team_id=team_a.id)
    assert set(ChatDelivery.objects.values_list("channel_id", flat=True)) == {
        everyone.id,
        room_a.id,
    }
    # Recorded once per key, however often the emitter runs.
    assert services.notify_chat(kind="sla_breach", key="s1", text="x", team_id=team_a.id) == 0


@pytest.mark.parametrize(
    ("provider", "fields", "field", "message"),
    [
        (
            "slack",
            {"webhook_url": "https://example.com/services/x"},
            "webhook_url",
            "Slack の Incoming Webhook URL ではありません（https://hooks.slack.com/services/…）。",
        ),
        ("slack", {"webhook_url": ""}, "webhook_url", "Webhook URL を入力してください。"),
        (
            "teams",
            {"webhook_url": "https://hooks.slack.com/services/x"},
            "webhook_url",
            "Microsoft Teams のワークフロー URL ではありません"
            "（https://….logic.azure.com/… または ….powerplatform.com/…）。",
        ),
        (
            "chatwork",
            {"api_token": "abc def", "room_id": "1"},
            "api_token",
            "Chatwork の API トークンは 20〜64 文字の英数字です（空白なし）。",
        ),
        (
            "chatwork",
            {"api_token": TOKEN, "room_id": "#!rid123"},
            "room_id",
            "Chatwork のルーム ID は数字です（#!rid の後の数字）。",
        ),
    ],
)
def test_invalid_settings_are_refused_in_japanese(provider, fields, field, message, settings):
    settings.INTEGRATIONS_ALLOW_LOOPBACK = False
    obj = ChatChannel(name="x", provider=provider, kinds=KINDS, **fields)
    with pytest.raises(ValidationError) as caught:
        obj.full_clean()
    assert message in caught.value.message_dict[field]


def test_real_provider_urls_are_accepted(settings):
    settings.INTEGRATIONS_ALLOW_LOOPBACK = False
    ChatChannel(
        name="s",
        provider="slack",
        kinds=KINDS,
        webhook_url="https://hooks.slack.com/services/T0/B0/abc",
    ).full_clean()
    ChatChannel(
        name="t",
        provider="teams",
        kinds=KINDS,
        webhook_url="https://prod-01.japaneast.logic.azure.com:443/workflows/abc/triggers/manual",
    ).full_clean()


def test_admin_refuses_an_invalid_token(admin_client):
    response = admin_client.post(
        "/admin/integrations/chatchannel/add/",
        {
            "name": "CS",
            "provider": "chatwork",
            "api_token": "短い",
            "room_id": "123",
            "kinds": ["detractor"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "Chatwork の API トークンは 20〜64 文字の英数字です（空白なし）。" in (
        response.content.decode()
    )
    assert not ChatChannel.objects.exists()


def test_detractor_answer_alerts_in_japanese(slack, survey):
    from surveys import services as survey_services

    channel("slack", slack)
    answers = {**FULL_ANSWERS, "nps": 2, "reason_detractor": "配送が遅くて困りました"}
    answers.pop("reason_promoter")
    response = survey_services.submit_response(
        survey=survey, invitation=None, answers=answers, now=timezone.now()
    )
    promoter = {**FULL_ANSWERS, "nps": 10}
    survey_services.submit_response(
        survey=survey, invitation=None, answers=promoter, now=timezone.now()
    )
    [delivery] = ChatDelivery.objects.all()
    assert delivery.kind == "detractor"
    assert delivery.text.startswith("批判者の回答（NPS 2）がありました")
    assert "配送が遅くて困りました" in delivery.text
    assert delivery.link.endswith(f"/admin/surveys/response/{response.id}/change/")


def test_sla_breach_goes_to_the_items_team(slack):
    from engagement.platform import roles
    from voc.triage import services as triage
    from voc.triage.models import TriageSettings

    TriageSettings.objects.update_or_create(
        id=1,
        defaults={
            "opens_at": dt.time(0, 0),
            "closes_at": dt.time(23, 59, 59),
            "workdays": [1, 2, 3, 4, 5, 6, 7],
            "observe_public_holidays": False,
        },
    )
    roles.sync_roles()
    agent = make_staff("sla_agent", roles.CS_AGENT)
    team = Team.objects.create(name="配送班")
    other = Team.objects.create(name="請求班")
    mine = channel("slack", slack, team=team, kinds=["sla_breach"], name="配送")
    channel("slack", slack, team=other, kinds=["sla_breach"], name="請求")
    item = make_item(team=team, owner=agent, due_at=timezone.now() - dt.timedelta(hours=1))
    triage.escalate_overdue()
    [delivery] = ChatDelivery.objects.all()
    assert delivery.channel == mine and delivery.kind == "sla_breach"
    assert delivery.text.startswith(f"SLA 超過: フィードバック #{item.id} は期限")
    assert "配送班" in delivery.text and "sla_agent" in delivery.text
    assert delivery.link.endswith(f"/admin/voc/feedbackitem/{item.id}/change/")
    triage.escalate_overdue()  # runs every few minutes: no second alert
    assert ChatDelivery.objects.count() == 1


def test_topic_spike_is_announced_once_a_day(slack, receiver):
    from engagement.integrations.models import WebhookDelivery, WebhookEndpoint
    from voc.models import Topic
    from voc.services.announcements import detect_topic_spikes

    channel("slack", slack, kinds=["topic_spike"])
    WebhookEndpoint.objects.create(name="h", url=receiver.base_url, events=["topic.spike"])
    now = timezone.now()
    spiking = Topic.objects.create(name="配送の遅れ")
    steady = Topic.objects.create(name="接客")
    for i in range(6):
        make_item(topic=spiking, received_at=now - dt.timedelta(hours=i + 1))
    for day in range(1, 8):  # steady: six a day for a week, six today
        for i in range(6):
            make_item(topic=steady, received_at=now - dt.timedelta(days=day, hours=i + 1))
    for i in range(6):
        make_item(topic=steady, received_at=now - dt.timedelta(hours=i + 1))
    assert detect_topic_spikes(now=now) == [spiking.id]
    [delivery] = ChatDelivery.objects.all()
    assert delivery.text == (
        "トピック急増: 「配送の遅れ」が直近 24 時間で 6 件ありました（通常は 1 日 0.0 件）。"
    )
    hook = WebhookDelivery.objects.get()
    assert json.loads(hook.body)["data"]["items_last_24h"] == 6
    detect_topic_spikes(now=now + dt.timedelta(minutes=30))
    assert ChatDelivery.objects.count() == 1 and WebhookDelivery.objects.count() == 1


def test_replay_of_a_failed_chat_alert(slack):
    channel("slack", slack)
    slack.answer(404, b"no_service")
    [(delivery, state)] = send()
    assert state == DeliveryState.FAILED
    replay = services.replay_chat_delivery(delivery_id=delivery.id)
    assert services.deliver_chat(delivery_id=replay.id) == DeliveryState.DELIVERED
