"""LINE webhook (signature, follow/unfollow, linking by one-time code), SMS replies (STOP), and
channel credentials refused at save time with a Japanese message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation

from engagement.customers import services as customer_services
from engagement.customers.models import Customer, LineLinkCode
from surveys.channels import line, sms
from surveys.checks import site_url_problem
from surveys.models import ChannelAccount

from .fake_providers import LINE_SECRET, LINE_TOKEN, TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

USER = "U" + "ab" * 16
URL = "/channels/line/webhook/"


@pytest.fixture(autouse=True)
def line_settings(settings):
    settings.LINE_CHANNEL_ACCESS_TOKEN = LINE_TOKEN
    settings.LINE_CHANNEL_SECRET = LINE_SECRET
    settings.TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_FROM_NUMBER = TWILIO_FROM
    settings.SITE_URL = "https://survey.example.jp"


def post_events(client: Client, events: list[dict], *, secret: str = LINE_SECRET, sig=None):
    body = json.dumps({"destination": "Uxxx", "events": events}).encode()
    signature = sig if sig is not None else line.signature(channel_secret=secret, body=body)
    return client.post(
        URL, data=body, content_type="application/json", HTTP_X_LINE_SIGNATURE=signature
    )


def event(kind: str, user: str = USER, **extra) -> dict:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": 1765000000000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": "01HX",
        "deliveryContext": {"isRedelivery": False},
        **extra,
    }


def test_signature_is_hmac_sha256_base64_of_the_body():
    # Known answer: base64(HMAC-SHA256("0123…cdef", b"{}")).
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(LINE_SECRET.encode(), b"{}", hashlib.sha256).digest())
    assert line.signature(channel_secret=LINE_SECRET, body=b"{}") == expected.decode()
    assert not line.signature_ok(channel_secret=LINE_SECRET, body=b"{}", header=None)


def test_forged_signature_gets_403_and_changes_nothing(client):
    customer = Customer.objects.create(external_id="W-1", line_user_id=USER, contact_allowed=True)
    for sig in ("", "forged", line.signature(channel_secret="f" * 32, body=b"other")):
        response = post_events(client, [event("unfollow")], sig=sig)
        assert response.status_code == 403
        assert response.json()["detail"] == "このリクエストの署名が正しくありません。"
    # Signed with another channel's secret: refused too.
    assert post_events(client, [event("unfollow")], secret="e" * 32).status_code == 403
    customer.refresh_from_db()
    assert customer.line_blocked_at is None
    assert client.get(URL).status_code == 405


def test_unfollow_stops_line_and_follow_allows_it_again_keeping_the_survey_opt_out(client):
    customer = Customer.objects.create(external_id="W-2", line_user_id=USER, contact_allowed=True)
    response = post_events(client, [event("unfollow")])
    assert response.status_code == 200 and response.json()["events"] == {"unfollow": 1}
    customer.refresh_from_db()
    assert customer.line_blocked_at is not None
    Customer.objects.filter(id=customer.id).update(unsubscribed_at=timezone.now())
    assert post_events(client, [event("follow", replyToken="r")]).status_code == 200
    customer.refresh_from_db()
    assert customer.line_blocked_at is None
    assert customer.unsubscribed_at is not None  # the survey opt-out is kept


def test_a_one_time_code_links_the_line_user_once(client):
    customer = Customer.objects.create(external_id="W-3", contact_allowed=True)
    code = customer_services.issue_line_link_code(customer=customer, now=timezone.now())
    assert len(code) == 8 and not LineLinkCode.objects.filter(digest=code).exists()
    # Typed in full-width with a space: still the code.
    typed = code[:4].translate(str.maketrans("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", "ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＳＴＵＶＷＸＹＺ２３４５６７８９")) + " " + code[4:]  # fmt: skip  # noqa: E501
    message = {"type": "text", "id": "1", "text": typed}
    response = post_events(client, [event("message", message=message, replyToken="r")])
    assert response.json()["events"] == {"linked": 1}
    customer.refresh_from_db()
    assert customer.line_user_id == USER
    # Used once: the same code from another LINE user links nothing.
    other = "U" + "cd" * 16
    response = post_events(client, [event("message", user=other, message=message)])
    assert response.json()["events"] == {"unmatched": 1}
    assert Customer.objects.filter(line_user_id=other).count() == 0


def test_an_expired_code_links_nothing(client):
    customer = Customer.objects.create(external_id="W-4", contact_allowed=True)
    code = customer_services.issue_line_link_code(
        customer=customer, now=timezone.now() - timedelta(days=8)
    )
    message = {"type": "text", "id": "1", "text": code}
    assert post_events(client, [event("message", message=message)]).json()["events"] == {
        "unmatched": 1
    }
    customer.refresh_from_db()
    assert customer.line_user_id == ""


def test_malformed_events_are_ignored(client):
    body = b"not json"
    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=line.signature(channel_secret=LINE_SECRET, body=body),
    )
    assert response.status_code == 400
    response = post_events(client, [event("follow", user="not-a-user"), {"type": "x"}, "junk"])
    assert response.status_code == 200 and response.json()["events"] == {"ignored": 2}


def test_sms_stop_reply_opts_the_number_out(client):
    customer = Customer.objects.create(
        external_id="W-5", phone="+819012345678", sms_allowed=True, contact_allowed=True
    )
    url = "/channels/sms/inbound/"
    params = {"From": "+819012345678", "To": TWILIO_FROM, "Body": "停止", "MessageSid": "SM1"}
    signature = sms.twilio_signature(
        auth_token=TWILIO_TOKEN, url="https://survey.example.jp" + url, params=params
    )
    assert client.post(url, params, HTTP_X_TWILIO_SIGNATURE="forged").status_code == 403
    customer.refresh_from_db()
    assert customer.sms_opted_out_at is None
    response = client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200 and b"<Response>" in response.content
    customer.refresh_from_db()
    assert customer.sms_opted_out_at is not None
    assert (
        sms.is_opt_out("STOP")
        and sms.is_opt_out(" 配信停止。")
        and not sms.is_opt_out("ありがとう")
    )


@pytest.fixture
def admin_client_ja(db):
    user = get_user_model().objects.create_superuser("root", "root@example.jp", "pw")
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(user)
    return client


def test_invalid_token_and_url_are_refused_at_save_time_in_japanese(admin_client_ja):
    url = "/admin/surveys/channelaccount/add/"
    response = admin_client_ja.post(
        url,
        {
            "channel": "line",
            "enabled": "on",
            "api_base_url": "http://api.line.me",
            "access_token": "short token!",
            "secret": "xyz",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "LINEのチャネルアクセストークンの形式ではありません" in body
    assert "LINEのチャネルシークレットは32桁の16進数" in body
    assert "http:// はこのマシン上のサーバーにのみ使えます" in body
    assert ChannelAccount.objects.count() == 0
    response = admin_client_ja.post(
        url,
        {"channel": "line", "enabled": "on", "access_token": LINE_TOKEN, "secret": LINE_SECRET},
    )
    assert response.status_code == 302
    row = ChannelAccount.objects.get()
    assert row.access_token == LINE_TOKEN
    # The stored secrets are never shown back; saving with the fields empty keeps them.
    change = f"/admin/surveys/channelaccount/{row.id}/change/"
    page = admin_client_ja.get(change).content.decode()
    assert LINE_TOKEN not in page and LINE_SECRET not in page
    response = admin_client_ja.post(change, {"channel": "line", "enabled": "on"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.access_token == LINE_TOKEN and row.secret == LINE_SECRET


def test_sms_account_checks_sid_token_and_number(admin_client_ja):
    response = admin_client_ja.post(
        "/admin/surveys/channelaccount/add/",
        {
            "channel": "sms",
            "enabled": "on",
            "account_sid": "XX123",
            "sender": "090-1234-5678",
            "access_token": "nope",
        },
    )
    body = response.content.decode()
    assert "アカウントSIDは「AC」と32桁の16進数です。" in body
    assert "電話番号は国際形式（E.164）で入力してください" in body
    assert "認証トークンは32桁の16進数" in body
    assert ChannelAccount.objects.count() == 0


def test_site_url_must_be_a_bare_http_url():
    with translation.override("ja"):
        assert site_url_problem("https://survey.example.jp") is None
        assert site_url_problem("http://127.0.0.1:8123") is None
        assert "完全なURL" in site_url_problem("survey.example.jp")
        assert site_url_problem("https://x.jp/app") is not None


def test_twilio_status_callback_marks_delivered_or_failed(client, survey):
    from surveys import services
    from surveys.models import Delivery

    customers = [
        Customer.objects.create(
            external_id=f"W-S{i}", phone=f"+81901234560{i}", sms_allowed=True, contact_allowed=True
        )
        for i in range(2)
    ]
    pairs = services.create_invitations(survey=survey, customers=customers, now=timezone.now())
    rows = [
        Delivery.objects.create(
            invitation=inv, kind="invitation", channel="sms", status="sent",
            provider_message_id=f"SM{i}",
        )
        for i, (inv, _t) in enumerate(pairs)
    ]  # fmt: skip
    url = "/channels/sms/status/"

    def post(params, signature=None):
        signature = signature or sms.twilio_signature(
            auth_token=TWILIO_TOKEN, url="https://survey.example.jp" + url, params=params
        )
        return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature)

    delivered = {"MessageSid": "SM0", "MessageStatus": "delivered", "AccountSid": TWILIO_SID}
    assert post(delivered, signature="forged").status_code == 403
    rows[0].refresh_from_db()
    assert rows[0].status == "sent"
    assert post(delivered).status_code == 204
    rows[0].refresh_from_db()
    assert rows[0].status == "delivered"
    undelivered = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post(undelivered).status_code == 204
    rows[1].refresh_from_db()
    assert rows[1].status == "failed" and rows[1].error == "SMS undelivered (code 30003)"
    assert rows[1].next_attempt_at is None
