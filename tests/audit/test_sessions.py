"""Session limits (idle and absolute), signing out everywhere, the password policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from engagement.audit.models import AuditAction, AuditEntry, StaffSession

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password=PASSWORD, is_staff=True)


def log_in(client: Client) -> None:
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff", "password": PASSWORD}
    )
    assert response.status_code == 302


def test_idle_timeout_signs_out_and_says_why(client, staff, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    start = timezone.now()
    with freeze_time(start):
        log_in(client)
    with freeze_time(start + timedelta(seconds=590)):
        assert client.get("/admin/").status_code == 200  # activity moves the idle clock
    with freeze_time(start + timedelta(seconds=1150)):
        assert client.get("/admin/").status_code == 200
    with freeze_time(start + timedelta(seconds=1800)):
        gone = client.get("/admin/")
        assert gone.status_code == 302 and gone["Location"].startswith("/admin/login/")
        login_page = client.get(gone["Location"])
    assert "セッションの有効期限が切れました" in login_page.content.decode()
    entry = AuditEntry.objects.filter(action=AuditAction.SIGN_OUT).latest("id")
    assert entry.detail == {"reason": "idle_timeout"} and entry.actor_username == "staff"


def test_absolute_lifetime_ends_even_an_active_session(client, staff, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    settings.SESSION_ABSOLUTE_LIFETIME = 3600
    start = timezone.now()
    with freeze_time(start):
        log_in(client)
    for minutes in range(5, 60, 5):
        with freeze_time(start + timedelta(minutes=minutes)):
            assert client.get("/admin/").status_code == 200
    with freeze_time(start + timedelta(minutes=61)):
        assert client.get("/admin/").status_code == 302
    entry = AuditEntry.objects.filter(action=AuditAction.SIGN_OUT).latest("id")
    assert entry.detail == {"reason": "absolute_lifetime"}


def test_sign_out_everywhere_ends_every_session_of_the_user(staff, django_user_model):
    other = django_user_model.objects.create_user("other", password=PASSWORD, is_staff=True)
    browsers = [Client() for _ in range(3)]
    for browser in browsers:
        log_in(browser)
    bystander = Client()
    bystander.post("/admin/login/", {"username": "other", "password": PASSWORD})
    assert StaffSession.objects.filter(user=staff).count() == 3
    assert browsers[0].get("/accounts/").status_code == 200

    response = browsers[0].post("/accounts/sign-out-everywhere/")
    assert response.status_code == 302
    for browser in browsers:
        assert browser.get("/admin/").status_code == 302
    assert bystander.get("/admin/").status_code == 200
    assert StaffSession.objects.filter(user=staff).count() == 0
    assert StaffSession.objects.filter(user=other).count() == 1
    assert Session.objects.count() >= 1
    entry = AuditEntry.objects.get(action=AuditAction.SIGN_OUT_EVERYWHERE)
    assert entry.detail == {"sessions": 3}
    assert browsers[0].get("/accounts/sign-out-everywhere/").status_code in {302, 405}


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1!", False),
        ("12345678901234", False),
        ("password123456", False),
        ("かなり長い日本語のパスフレーズ", True),
        ("tr0ub4dor&3-horse", True),
    ],
)
def test_password_policy_for_local_accounts(password, ok, django_user_model):
    user = django_user_model(username="someone")
    if ok:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)
