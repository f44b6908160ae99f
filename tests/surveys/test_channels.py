"""LINE and SMS sends against local stand-ins of the providers (tests/surveys/fake_providers.py):
the exact requests, the answers (200, 401, 409, 429 with Retry-After, 500, timeout) and what the
outbox records; held-back reasons; quiet hours; re-sends; base URL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone, translation

from engagement.customers.models import BehaviourKind, BehaviourRecord, Customer
from surveys import services
from surveys.channels import sms
from surveys.models import Delivery, DeliveryStatus, HoldReason, Invitation, InvitationStatus
from surveys.services import sending

from .fake_providers import (
    LINE_SECRET,
    LINE_TOKEN,
    TWILIO_FROM,
    TWILIO_SID,
    TWILIO_TOKEN,
    Answer,
    FakeLine,
    FakeTwilio,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """After-commit outbox sends run with the tasks in-process (the real worker is in
    test_channels_integration.py)."""
    from engagement.celery import app

    was_eager = app.conf.task_always_eager
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = True

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    yield run
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = was_eager


def line_user(i: int = 0) -> str:
    return "U" + f"{i:032x}"


@pytest.fixture
def fake_line(settings):
    server = FakeLine().start()
    settings.LINE_API_BASE_URL = server.base_url
    settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
    settings.LINE_CHANNEL_SECRET = LINE_SECRET
    settings.CHANNEL_HTTP_TIMEOUT = 0.5
    yield server
    server.stop()


@pytest.fixture
def fake_twilio(settings):
    server = FakeTwilio().start()
    settings.TWILIO_API_BASE_URL = server.base_url
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_FROM_NUMBER = TWILIO_FROM
    settings.CHANNEL_HTTP_TIMEOUT = 0.5
    yield server
    server.stop()


def _line_customers(n: int, **kw) -> list[Customer]:
    return [
        Customer.objects.create(
            external_id=f"L-{i}", line_user_id=line_user(i), contact_allowed=True, **kw
        )
        for i in range(n)
    ]


def _invite(survey, customers, run):
    services.create_invitations(survey=survey, customers=customers, now=timezone.now())
    return run(services.queue_invitations, survey=survey, now=timezone.now())


@override_settings(SITE_URL="https://survey.example.jp:8443")
def test_line_invitation_is_one_push_with_text_and_button(survey, fake_line, run_on_commit):
    customers = _line_customers(2)
    assert _invite(survey, customers, run_on_commit) == 2
    assert fake_line.problems == []
    assert len(fake_line.requests) == 2 and len(mail.outbox) == 0
    request = fake_line.requests[0]
    assert request["path"] == "/v2/bot/message/push"
    assert request["headers"]["authorization"] == f"Bearer {LINE_TOKEN}"
    body = request["json"]
    assert body["to"] == line_user(0)
    text, template = body["messages"]
    assert text["type"] == "text" and "さくらカフェ" in text["text"]
    action = template["template"]["actions"][0]
    assert action["type"] == "uri" and action["label"] == "回答する"
    # Every link is built from SITE_URL.
    assert action["uri"].startswith("https://survey.example.jp:8443/s/")
    assert "https://survey.example.jp:8443/u/" in text["text"]
    delivery = Delivery.objects.get(invitation__customer=customers[0])
    assert delivery.channel == "line" and delivery.status == DeliveryStatus.SENT
    assert delivery.provider_message_id and delivery.attempts == 1
    assert request["headers"]["x-line-retry-key"] == sending.send_key(delivery)
    assert Invitation.objects.filter(status=InvitationStatus.SENT).count() == 2


def test_a_repeated_retry_key_is_recorded_as_sent_not_pushed_twice(survey, fake_line):
    [customer] = _line_customers(1)
    [(invitation, _token)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    delivery = Delivery.objects.create(invitation=invitation, kind="invitation", channel="line")
    # LINE accepted this key before (a worker died before our commit): 409 → sent, once.
    fake_line.accepted[sending.send_key(delivery)] = "earlier-request"
    assert services.deliver(delivery_id=delivery.id) == DeliveryStatus.SENT
    delivery.refresh_from_db()
    assert delivery.provider_message_id == "earlier-request"
    assert fake_line.pushes == {}


def test_invalid_token_fails_at_once_with_the_reason_and_can_be_resent(
    survey, fake_line, run_on_commit, settings
):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "W" * 60  # not the channel's token: LINE answers 401
    [customer] = _line_customers(1)
    _invite(survey, [customer], run_on_commit)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert delivery.error.startswith("LINE HTTP 401: Authentication failed")
    assert LINE_TOKEN not in delivery.error and "W" * 60 not in delivery.error
    assert (
        run_on_commit(services.retry_failed_deliveries, now=timezone.now() + timedelta(hours=1))
        == 0
    )
    # Fixed token, re-sent from the admin: sent, once, with a new retry key.
    settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
    first_key = sending.send_key(delivery)
    assert (
        run_on_commit(services.resend_deliveries, delivery_ids=[delivery.id], now=timezone.now())
        == 1
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.resend_count == 1
    assert fake_line.requests[-1]["headers"]["x-line-retry-key"] != first_key
    # A sent one is not re-sent.
    assert (
        run_on_commit(services.resend_deliveries, delivery_ids=[delivery.id], now=timezone.now())
        == 0
    )


def test_transient_errors_are_retried_with_backoff_then_failed_with_the_reason(
    survey, fake_line, run_on_commit
):
    [customer] = _line_customers(1)
    fake_line.script = [
        Answer(429, {"message": "Too Many Requests"}, {"Retry-After": "300"}),
        Answer(500, {"message": "Internal server error"}),
        Answer(200, {}, {}, delay=1.5),  # longer than the client's 0.5 s timeout
        Answer(503, {"message": "Service unavailable"}),
        Answer(500, {"message": "Internal server error"}),
    ]
    before = timezone.now()
    _invite(survey, [customer], run_on_commit)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1
    assert delivery.error == "LINE HTTP 429: Too Many Requests"
    # Retry-After (300 s) is longer than the first backoff (1 minute): it wins.
    assert delivery.next_attempt_at >= before + timedelta(seconds=300)
    assert run_on_commit(services.retry_failed_deliveries, now=before + timedelta(seconds=200)) == 0
    reasons = []
    later = before
    for _attempt in range(4):
        later += timedelta(hours=1)
        assert run_on_commit(services.retry_failed_deliveries, now=later) == 1
        delivery.refresh_from_db()
        reasons.append(delivery.error)
    assert reasons == [
        "LINE HTTP 500: Internal server error",
        "LINE timeout: ReadTimeout",
        "LINE HTTP 503: Service unavailable",
        "LINE HTTP 500: Internal server error",
    ]
    # MAX_ATTEMPTS tries: failed for good with the provider's reason, no more retries.
    assert delivery.attempts == Delivery.MAX_ATTEMPTS and delivery.next_attempt_at is None
    assert run_on_commit(services.retry_failed_deliveries, now=later + timedelta(days=1)) == 0
    assert fake_line.problems == [] and fake_line.pushes == {}


def test_a_provider_that_is_down_loses_nothing(survey, settings, run_on_commit):
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
    settings.LINE_CHANNEL_SECRET = LINE_SECRET
    customers = _line_customers(3)
    _invite(survey, customers, run_on_commit)
    rows = list(Delivery.objects.all())
    assert len(rows) == 3
    assert all(r.status == DeliveryStatus.FAILED and r.next_attempt_at for r in rows)
    assert all(r.error == "LINE unreachable: ConnectError" for r in rows)
    server = FakeLine().start()
    try:
        settings.LINE_API_BASE_URL = server.base_url
        run_on_commit(services.retry_failed_deliveries, now=timezone.now() + timedelta(minutes=5))
        assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 3
        assert sorted(server.pushes.values()) == [1, 1, 1]
    finally:
        server.stop()


def test_held_back_invitations_say_why(survey, wave, fake_line, run_on_commit):
    now = timezone.now()
    ok = Customer.objects.create(external_id="H-ok", email="ok@example.jp", contact_allowed=True)
    opted = Customer.objects.create(
        external_id="H-opt", email="o@example.jp", contact_allowed=True, unsubscribed_at=now
    )
    blocked = Customer.objects.create(
        external_id="H-blk", line_user_id=line_user(9), line_blocked_at=now, contact_allowed=True
    )
    nothing = Customer.objects.create(external_id="H-none", contact_allowed=True)
    churned = Customer.objects.create(
        external_id="H-churn", email="c@example.jp", contact_allowed=True
    )
    BehaviourRecord.objects.create(
        customer=churned, kind=BehaviourKind.objects.get(code="cancellation"), occurred_at=now
    )
    tired = Customer.objects.create(
        external_id="H-tired", email="t@example.jp", contact_allowed=True
    )
    other = services.create_template_survey(
        title="前回", brand_name="さくらカフェ", wave=wave, slug="previous"
    )
    [(prev, _t)] = services.create_invitations(survey=other, customers=[tired], now=now)
    Invitation.objects.filter(id=prev.id).update(sent_at=now - timedelta(days=3))
    people = [ok, opted, blocked, nothing, churned, tired]
    assert _invite(survey, people, run_on_commit) == 1
    reasons = dict(
        Invitation.objects.filter(survey=survey).values_list("customer__external_id", "held_reason")
    )
    assert reasons == {
        "H-ok": "",
        "H-opt": HoldReason.OPTED_OUT,
        "H-blk": HoldReason.OPTED_OUT,
        "H-none": HoldReason.NO_ADDRESS,
        "H-churn": HoldReason.CHURNED,
        "H-tired": HoldReason.FATIGUE,
    }
    with translation.override("ja"):
        assert str(HoldReason.FATIGUE.label) == "最近連絡済み（連絡頻度ルール）"


def test_quiet_hours_hold_sends_until_morning_in_tokyo(survey, fake_line, settings, run_on_commit):
    settings.SURVEYS_QUIET_HOURS = "21-8"
    [customer] = _line_customers(1)
    [(invitation, _t)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    delivery = Delivery.objects.create(invitation=invitation, kind="invitation", channel="line")
    night = timezone.make_aware(timezone.datetime(2026, 12, 7, 23, 30))  # Asia/Tokyo
    assert services.deliver(delivery_id=delivery.id, now=night) == "deferred"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 0
    assert timezone.localtime(delivery.next_attempt_at).isoformat() == "2026-12-08T08:00:00+09:00"
    assert fake_line.requests == []
    morning = timezone.make_aware(timezone.datetime(2026, 12, 8, 8, 0))
    assert services.deliver(delivery_id=delivery.id, now=morning) == DeliveryStatus.SENT
    assert sending.quiet_until(timezone.make_aware(timezone.datetime(2026, 12, 8, 12, 0))) is None


# --- SMS --------------------------------------------------------------------------------------


@override_settings(SITE_URL="http://127.0.0.1:8000")
def test_sms_goes_out_in_twilio_shape_within_the_segment_limit(survey, fake_twilio, run_on_commit):
    customer = Customer.objects.create(
        external_id="S-1", phone="+819012345678", sms_allowed=True, contact_allowed=True
    )
    assert _invite(survey, [customer], run_on_commit) == 1
    assert fake_twilio.problems == []
    [request] = fake_twilio.requests
    form = request["form"]
    assert form["To"] == "+819012345678" and form["From"] == TWILIO_FROM
    assert form["StatusCallback"] == "http://127.0.0.1:8000/channels/sms/status/"
    assert "さくらカフェ" in form["Body"] and "/s/" in form["Body"] and "停止" in form["Body"]
    assert sms.segments(form["Body"]) <= 3
    delivery = Delivery.objects.get()
    assert delivery.channel == "sms" and delivery.provider_message_id.startswith("SM")


def test_sms_segments_count_japanese_as_ucs2():
    assert sms.segments("あ" * 70) == 1
    assert sms.segments("あ" * 71) == 2
    assert sms.segments("あ" * 134) == 2 and sms.segments("あ" * 135) == 3
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("😊" * 35) == 1 and sms.segments("😊" * 36) == 2


def test_sms_to_a_recipient_who_replied_stop_records_the_opt_out(
    survey, fake_twilio, run_on_commit
):
    customer = Customer.objects.create(
        external_id="S-2", phone="+819012345679", sms_allowed=True, contact_allowed=True
    )
    fake_twilio.script = [
        Answer(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"})
    ]
    _invite(survey, [customer], run_on_commit)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None
    assert "21610" in delivery.error
    customer.refresh_from_db()
    assert customer.sms_opted_out_at is not None


def test_sms_wrong_credentials_fail_with_twilios_reason(
    survey, fake_twilio, settings, run_on_commit
):
    settings.TWILIO_AUTH_TOKEN = "0" * 32
    customer = Customer.objects.create(
        external_id="S-3", phone="+819012345670", sms_allowed=True, contact_allowed=True
    )
    _invite(survey, [customer], run_on_commit)
    delivery = Delivery.objects.get()
    assert delivery.error == "SMS HTTP 401: Authenticate (code 20003)"
    assert delivery.next_attempt_at is None


def test_channel_order_prefers_line_then_email_then_sms(fake_line, fake_twilio):
    both = Customer(
        line_user_id=line_user(1), email="a@example.jp", phone="+819000000000",
        sms_allowed=True, contact_allowed=True,
    )  # fmt: skip
    available = sending.Senders.load().available()
    assert sending.usable_channels(both, available) == ["line", "email", "sms"]
    both.line_blocked_at = timezone.now()
    assert sending.usable_channels(both, available) == ["email", "sms"]
    both.unsubscribed_at = timezone.now()
    assert sending.usable_channels(both, available) == []


def test_send_keys_are_uuids_stable_per_send():
    delivery = Delivery(id=42, resend_count=0)
    key = sending.send_key(delivery)
    assert uuid.UUID(key) and key == sending.send_key(Delivery(id=42, resend_count=0))
    assert key != sending.send_key(Delivery(id=42, resend_count=1))


def test_sms_429_waits_for_retry_after_then_sends(survey, fake_twilio, run_on_commit):
    customer = Customer.objects.create(
        external_id="S-4", phone="+819012345671", sms_allowed=True, contact_allowed=True
    )
    fake_twilio.script = [
        Answer(429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "600"})
    ]
    before = timezone.now()
    _invite(survey, [customer], run_on_commit)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "SMS HTTP 429: Too Many Requests (code 20429)"
    # Retry-After (10 minutes) wins over the first backoff (1 minute); nothing before it.
    assert delivery.next_attempt_at >= before + timedelta(seconds=600)
    assert run_on_commit(services.retry_failed_deliveries, now=before + timedelta(minutes=9)) == 0
    assert run_on_commit(services.retry_failed_deliveries, now=before + timedelta(minutes=11)) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(fake_twilio.requests) == 2


def test_admin_shows_each_send_and_why_and_resends_it(
    admin_client, survey, fake_line, settings, run_on_commit
):
    settings.LINE_CHANNEL_ACCESS_TOKEN = "W" * 60  # LINE answers 401
    [customer] = _line_customers(1)
    held = Customer.objects.create(external_id="H-1", email="h@example.jp", contact_allowed=False)
    services.create_invitations(survey=survey, customers=[held], now=timezone.now())
    _invite(survey, [customer], run_on_commit)
    delivery = Delivery.objects.get()
    invitation = delivery.invitation
    page = admin_client.get(f"/admin/surveys/invitation/{invitation.pk}/change/").content.decode()
    assert "失敗" in page and "LINE HTTP 401: Authentication failed" in page
    listing = admin_client.get("/admin/surveys/invitation/").content.decode()
    assert "連絡の許可なし" in listing  # the held invitation says why
    # Fixed token, re-sent with the admin action: sent.
    settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
    response = run_on_commit(
        admin_client.post,
        "/admin/surveys/delivery/",
        {"action": "resend", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1件の送信を再びキューに入れました" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.resend_count == 1


def test_a_line_reminder_is_a_push_to_those_who_did_not_answer(survey, fake_line, run_on_commit):
    from tests.surveys.conftest import FULL_ANSWERS

    answered, silent = _line_customers(2)
    pairs = services.create_invitations(
        survey=survey, customers=[answered, silent], now=timezone.now()
    )
    run_on_commit(services.queue_invitations, survey=survey, now=timezone.now())
    run_on_commit(
        services.submit_response,
        survey=survey,
        invitation=pairs[0][0],
        answers=FULL_ANSWERS,
        now=timezone.now(),
    )
    week = timezone.now() + timedelta(days=survey.reminder_after_days, minutes=1)
    assert run_on_commit(services.queue_reminders, survey=survey, now=week) == 1
    reminder = fake_line.requests[-1]
    assert len(fake_line.requests) == 3 and reminder["json"]["to"] == silent.line_user_id
    text, template = reminder["json"]["messages"]
    assert "再送" in text["text"] and template["template"]["actions"][0]["label"] == "回答する"
    assert fake_line.problems == []
    delivery = Delivery.objects.get(kind="reminder")
    assert delivery.channel == "line" and delivery.status == DeliveryStatus.SENT
