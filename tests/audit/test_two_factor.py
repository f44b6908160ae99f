"""Two-factor sign-in for administrators (TOTP + recovery codes) and lockouts, through the
admin's own login page."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from engagement.audit.models import AuditAction, AuditEntry
from engagement.platform import roles

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = True


def later(*, seconds: int) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def code_for(device: TOTPDevice, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():06d}"


def log_in(client, username: str = "root", password: str = PASSWORD, next_url: str = "/admin/"):
    return client.post(
        f"/admin/login/?next={next_url}",
        {"username": username, "password": password, "next": next_url},
    )


def enrol(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user__username="root", confirmed=False)
    done = client.post("/accounts/two-factor/setup/", {"token": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert page.status_code == 200
    return device, codes


def test_admin_must_enrol_then_passes_with_totp(client, admin_user):
    response = log_in(client)
    assert response.status_code == 302
    gate = client.get("/admin/")
    assert gate.status_code == 302
    assert gate["Location"] == "/accounts/two-factor/setup/?next=%2Fadmin%2F"

    page = client.get(gate["Location"])
    body = page.content.decode()
    assert "<svg" in body  # the QR code, drawn by segno
    device = TOTPDevice.objects.get(user=admin_user, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', body).group(1)
    assert len(secret) == 32

    wrong = client.post("/accounts/two-factor/setup/", {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 200
    assert "コードが正しくありません" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302  # still not verified

    done = client.post(
        "/accounts/two-factor/setup/", {"token": code_for(device), "next": "/admin/"}
    )
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR, detail__op="enrol").count() == 1

    # a later sign-in asks for the code, and a right one lets the admin in
    client.logout()
    log_in(client)
    gate = client.get("/admin/")
    assert gate["Location"] == "/accounts/two-factor/?next=%2Fadmin%2F"
    with freeze_time(later(seconds=60)):  # the next 30-second step: a code is used once only
        passed = client.post(
            "/accounts/two-factor/", {"token": code_for(device), "next": "/admin/"}
        )
        assert passed.status_code == 302 and passed["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200


def test_recovery_code_works_once(client, admin_user):
    log_in(client)
    _device, codes = enrol(client)
    client.logout()

    log_in(client)
    used = client.post("/accounts/two-factor/", {"token": codes[0], "next": "/admin/"})
    assert used.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    assert StaticToken.objects.filter(device__user=admin_user).count() == 9
    assert AuditEntry.objects.filter(action=AuditAction.TWO_FACTOR, detail__op="recovery").exists()

    client.logout()
    log_in(client)
    again = client.post("/accounts/two-factor/", {"token": codes[0], "next": "/admin/"})
    assert again.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_wrong_codes_lock_the_second_factor(client, admin_user, settings):
    settings.SESSION_IDLE_TIMEOUT = 3600
    log_in(client)
    device, _codes = enrol(client)
    client.logout()
    log_in(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.post("/accounts/two-factor/", {"token": "123456"}).status_code == 400
    with freeze_time(later(seconds=60)):
        locked = client.post("/accounts/two-factor/", {"token": code_for(device)})
    assert locked.status_code == 429
    assert "二要素認証を30分間ロックしました" in locked.content.decode()
    assert client.get("/admin/").status_code == 302
    # after the cool-off the right code works again
    with freeze_time(later(seconds=31 * 60)):
        assert client.post("/accounts/two-factor/", {"token": code_for(device)}).status_code == 302


def test_repeated_wrong_passwords_lock_the_account(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, password="wrong password")
        assert response.status_code == 200
    assert log_in(client, password="wrong password").status_code == 429  # the last allowed
    locked = log_in(client)  # now even the right password
    assert locked.status_code == 429
    assert "ロックされています" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.filter(action=AuditAction.SIGN_IN_FAILED).count()
    assert failed >= settings.AXES_FAILURE_LIMIT


def test_only_administrators_need_the_second_factor(client, django_user_model):
    roles.sync_roles()
    agent = django_user_model.objects.create_user("agent", password=PASSWORD, is_staff=True)
    agent.groups.add(Group.objects.get(name=roles.CS_AGENT))
    log_in(client, "agent")
    assert client.get("/admin/").status_code == 200
    lead = django_user_model.objects.create_user("boss", password=PASSWORD, is_staff=True)
    lead.groups.add(Group.objects.get(name=roles.ADMINISTRATOR))
    client.logout()
    log_in(client, "boss")
    assert client.get("/admin/").status_code == 302
    api = client.get("/api/v1/customers/")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "two_factor_required"


def test_the_setting_turns_it_off(client, admin_user, settings):
    settings.TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    log_in(client)
    assert client.get("/admin/").status_code == 200
