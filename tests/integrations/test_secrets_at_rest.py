"""Secrets at rest: provider tokens, signing secrets and webhook URLs are encrypted in the
database (Fernet, FIELD_ENCRYPTION_KEYS), never shown back in the admin, rotated by listing a new
key first and re-encrypting; a wrong key gives a clear error (a held send, a 503 callback, a
named row in the command) and changes nothing."""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from engagement.integrations import services as integration_services
from engagement.integrations.models import (
    ChatChannel,
    ChatDelivery,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
)
from engagement.platform import encryption
from surveys.channels import line
from surveys.models import ChannelAccount, Delivery, DeliveryStatus, Widget
from tests.surveys.fake_providers import LINE_SECRET, LINE_TOKEN, FakeLine

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
SLACK_URL = "https://hooks.slack.com/services/T000/B000/secretpart0123456789"
CHATWORK_TOKEN = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"


def raw(model, pk: int, column: str) -> str:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def key_a(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]


@pytest.fixture
def stored(key_a):
    """One row of every model with secrets."""
    account = ChannelAccount.objects.create(
        channel="line", access_token=LINE_TOKEN, secret=LINE_SECRET
    )
    endpoint = WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.example.jp/hook", events=["response.completed"]
    )
    slack = ChatChannel.objects.create(
        name="CS", provider="slack", webhook_url=SLACK_URL, kinds=["detractor"]
    )
    chatwork = ChatChannel.objects.create(
        name="CW", provider="chatwork", api_token=CHATWORK_TOKEN, room_id="123", kinds=["detractor"]
    )
    return {"account": account, "endpoint": endpoint, "slack": slack, "chatwork": chatwork}


def test_the_raw_columns_never_hold_the_secrets(stored, survey):
    widget = Widget.objects.create(survey=survey, name="アプリ", allowed_origins=[])
    cases = [
        (ChannelAccount, stored["account"].pk, "access_token", LINE_TOKEN),
        (ChannelAccount, stored["account"].pk, "secret", LINE_SECRET),
        (WebhookEndpoint, stored["endpoint"].pk, "secret", stored["endpoint"].secret),
        (ChatChannel, stored["slack"].pk, "webhook_url", SLACK_URL),
        (ChatChannel, stored["chatwork"].pk, "api_token", CHATWORK_TOKEN),
        (Widget, widget.pk, "secret", widget.secret),
    ]
    for model, pk, column, plain in cases:
        value = raw(model, pk, column)
        assert value.startswith("fernet:") and plain not in value, (model, column)
        assert "secretpart" not in value and "hooks.slack.com" not in value
        # Read back through the model: the plain text.
        assert getattr(model.objects.get(pk=pk), column) == plain
    # Each encryption differs (a random IV): equal secrets do not look equal in the table.
    again = ChannelAccount(channel="sms", access_token=LINE_TOKEN)
    assert again._meta.get_field("access_token").get_prep_value(LINE_TOKEN) != raw(
        ChannelAccount, stored["account"].pk, "access_token"
    )


def test_a_wrong_key_reads_as_unreadable_and_saving_keeps_the_stored_value(stored, settings):
    before = raw(ChannelAccount, stored["account"].pk, "access_token")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    account = ChannelAccount.objects.get(pk=stored["account"].pk)  # no crash
    assert encryption.is_unreadable(account.access_token) and account.access_token == ""
    account.enabled = False
    account.full_clean()  # "required" does not fire for a value that is there, only unreadable
    account.save()
    assert raw(ChannelAccount, account.pk, "access_token") == before
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert ChannelAccount.objects.get(pk=account.pk).access_token == LINE_TOKEN


def test_rotation_new_key_first_then_reencrypt(stored, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # the new key first, the old one kept
    assert ChannelAccount.objects.get().access_token == LINE_TOKEN  # old values still read
    call_command("reencrypt_secrets", stdout=(out := _Out()))
    assert "re-encrypted 5 value(s) in 4 row(s)" in out.text
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # the old key dropped
    assert ChannelAccount.objects.get().access_token == LINE_TOKEN
    assert ChatChannel.objects.get(pk=stored["slack"].pk).webhook_url == SLACK_URL
    assert ChatChannel.objects.get(pk=stored["chatwork"].pk).api_token == CHATWORK_TOKEN
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == stored["endpoint"].secret


def test_reencrypt_names_what_no_key_decrypts_and_changes_nothing(stored, settings):
    before = raw(ChatChannel, stored["slack"].pk, "webhook_url")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("reencrypt_secrets", stdout=_Out(), stderr=(err := _Out()))
    assert f"integrations.ChatChannel {stored['slack'].pk} webhook_url" in err.text
    assert raw(ChatChannel, stored["slack"].pk, "webhook_url") == before


def test_the_data_migration_encrypts_rows_stored_in_plain_text(key_a):
    account = ChannelAccount.objects.create(channel="line", access_token="x", secret="y")
    with connection.cursor() as cursor:  # as the rows were before the migration
        cursor.execute(
            "UPDATE surveys_channelaccount SET access_token = %s, secret = %s WHERE id = %s",
            [LINE_TOKEN, LINE_SECRET, account.pk],
        )
    migration = importlib.import_module("surveys.migrations.0009_secrets_encrypted_at_rest")
    # What RunPython hands over (SQLite's real one cannot open inside the test's transaction).
    editor = SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)
    migration.encrypt_existing(apps, editor)
    migration.encrypt_existing(apps, editor)  # twice: already encrypted values are kept
    assert LINE_TOKEN not in raw(ChannelAccount, account.pk, "access_token")
    account.refresh_from_db()
    assert (account.access_token, account.secret) == (LINE_TOKEN, LINE_SECRET)
    migration.decrypt_existing(apps, editor)  # the reverse migration
    assert raw(ChannelAccount, account.pk, "access_token") == LINE_TOKEN


def test_bad_keys_are_refused_by_the_system_check(settings):
    from engagement.platform.encryption_checks import check_field_encryption_keys

    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, "not-a-key"]
    [error] = check_field_encryption_keys()
    assert error.id == "platform.E001" and "key 2 is not a Fernet key" in error.msg
    settings.FIELD_ENCRYPTION_KEYS = []
    assert "FIELD_ENCRYPTION_KEYS is empty" in check_field_encryption_keys()[0].msg
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    assert check_field_encryption_keys() == []


# --- what staff see ---------------------------------------------------------------------------


def test_admin_never_shows_secrets_back(admin_client, stored):
    pages = {
        f"/admin/surveys/channelaccount/{stored['account'].pk}/change/": [LINE_TOKEN, LINE_SECRET],
        f"/admin/integrations/webhookendpoint/{stored['endpoint'].pk}/change/": [
            stored["endpoint"].secret
        ],
        f"/admin/integrations/chatchannel/{stored['slack'].pk}/change/": [SLACK_URL, "secretpart"],
        f"/admin/integrations/chatchannel/{stored['chatwork'].pk}/change/": [CHATWORK_TOKEN],
        "/admin/integrations/webhookendpoint/": [stored["endpoint"].secret],
        "/admin/surveys/channelaccount/": [LINE_TOKEN],
    }
    for url, secrets in pages.items():
        html = admin_client.get(url).content.decode()
        assert "設定済み" in html, url
        for secret in secrets:
            assert secret not in html, (url, secret)


def test_admin_keeps_an_empty_field_and_replaces_a_typed_one(admin_client, stored):
    url = f"/admin/integrations/chatchannel/{stored['slack'].pk}/change/"
    form = {"name": "CS東", "provider": "slack", "kinds": ["detractor"], "is_active": "on"}
    assert admin_client.post(url, form).status_code == 302
    assert ChatChannel.objects.get(pk=stored["slack"].pk).webhook_url == SLACK_URL
    new = "https://hooks.slack.com/services/T111/B111/other0123456789"
    assert admin_client.post(url, {**form, "webhook_url": new}).status_code == 302
    assert ChatChannel.objects.get(pk=stored["slack"].pk).webhook_url == new
    # A bad one is still refused at save time, in Japanese, and the stored one kept.
    page = admin_client.post(url, {**form, "webhook_url": "https://example.com/x"})
    assert "Slack の Incoming Webhook URL ではありません" in page.content.decode()
    assert ChatChannel.objects.get(pk=stored["slack"].pk).webhook_url == new


def test_a_new_webhook_secret_is_shown_once(admin_client, key_a):
    page = admin_client.post(
        "/admin/integrations/webhookendpoint/add/",
        {
            "name": "CRM",
            "url": "https://crm.example.jp/hook",
            "events": ["response.completed"],
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in html
    assert "二度と表示されません" in html
    change = f"/admin/integrations/webhookendpoint/{endpoint.pk}/change/"
    assert endpoint.secret not in admin_client.get(change).content.decode()
    # 「新しい署名シークレットを発行する」: a new one, shown once.
    form = {"name": "CRM", "url": "https://crm.example.jp/hook", "events": ["response.completed"]}
    page = admin_client.post(change, {**form, "is_active": "on", "new_secret": "on"})
    renewed = WebhookEndpoint.objects.get().secret
    assert renewed != endpoint.secret and renewed in page.content.decode()
    # A secret typed by staff is theirs: stored, not shown.
    page = admin_client.post(change, {**form, "is_active": "on", "secret": "x" * 30})
    assert page.status_code == 302 and WebhookEndpoint.objects.get().secret == "x" * 30


def test_a_new_widget_secret_is_shown_once(admin_client, survey, key_a):
    page = admin_client.post(
        "/admin/surveys/widget/add/",
        {"survey": survey.pk, "name": "アプリ", "allowed_origins": "https://shop.example.jp"},
    )
    widget = Widget.objects.get()
    assert page.status_code == 200 and widget.secret in page.content.decode()
    change = f"/admin/surveys/widget/{widget.pk}/change/"
    assert widget.secret not in admin_client.get(change).content.decode()


# --- a wrong key where the secrets are used ---------------------------------------------------


def test_a_line_send_with_a_wrong_key_is_held_for_retry_with_a_clear_reason(
    survey, settings, key_a
):
    from engagement.customers.models import Customer
    from surveys import services

    server = FakeLine().start()
    try:
        ChannelAccount.objects.create(
            channel="line",
            api_base_url=server.base_url,
            access_token=LINE_TOKEN,
            secret=LINE_SECRET,
        )
        customer = Customer.objects.create(
            external_id="K-1", line_user_id="U" + "0" * 32, contact_allowed=True
        )
        [(invitation, _token)] = services.create_invitations(
            survey=survey, customers=[customer], now=timezone.now()
        )
        delivery = Delivery.objects.create(invitation=invitation, kind="invitation", channel="line")
        settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
        assert services.deliver(delivery_id=delivery.id) == DeliveryStatus.FAILED
        delivery.refresh_from_db()
        assert "FIELD_ENCRYPTION_KEYS" in delivery.error and "復号できません" in delivery.error
        assert delivery.next_attempt_at is not None  # retried, not lost
        assert server.requests == []  # nothing sent with an empty token
        settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]  # the key is back: the retry sends
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        assert services.deliver(delivery_id=delivery.id) == DeliveryStatus.SENT
    finally:
        server.stop()


def test_a_line_webhook_with_a_wrong_key_is_503_and_changes_nothing(client, settings, key_a):
    from engagement.customers.models import Customer

    ChannelAccount.objects.create(channel="line", access_token=LINE_TOKEN, secret=LINE_SECRET)
    user = "U" + "ab" * 16
    customer = Customer.objects.create(external_id="W-1", line_user_id=user)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    body = json.dumps({"events": [{"type": "unfollow", "source": {"userId": user}}]}).encode()
    for secret in (LINE_SECRET, ""):  # neither the right secret nor an empty key gets in
        response = client.post(
            "/channels/line/webhook/",
            data=body,
            content_type="application/json",
            HTTP_X_LINE_SIGNATURE=line.signature(channel_secret=secret, body=body),
        )
        assert response.status_code == 503
        assert "FIELD_ENCRYPTION_KEYS" in response.json()["detail"]
    customer.refresh_from_db()
    assert customer.line_blocked_at is None


def test_webhook_and_chat_deliveries_wait_for_the_right_key(stored, settings):
    integration_services.emit_event(event="response.completed", key="k-1", data={"id": 1})
    integration_services.notify_chat(
        kind="detractor", key="c-1", text="テスト", link="", team_id=None
    )
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    webhook = WebhookDelivery.objects.get()
    assert integration_services.deliver_webhook(delivery_id=webhook.id) == DeliveryState.RETRYING
    webhook.refresh_from_db()
    assert "復号できません" in webhook.last_error and webhook.status_code is None
    for chat in ChatDelivery.objects.order_by("id"):
        assert integration_services.deliver_chat(delivery_id=chat.id) == DeliveryState.RETRYING
        chat.refresh_from_db()
        assert "FIELD_ENCRYPTION_KEYS" in chat.last_error


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, value: str) -> None:
        self.text += value

    def flush(self) -> None:
        pass
