from __future__ import annotations

import datetime as dt
import os
import tempfile

import pytest
from django.utils import timezone

# The integration test's Celery worker (a separate process started by the shared fixture) writes
# e-mail to files, so the test can prove what was really sent. Only the worker reads these.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
os.environ.setdefault(
    "EMAIL_FILE_PATH", os.path.join(tempfile.gettempdir(), f"surveys-mail-{os.getpid()}")
)

FULL_ANSWERS = {
    "nps": 9,
    "reason_promoter": "使いやすいです😊",
    "aw_like": 5,
    "aw_satisfied": 4,
    "aw_devotion": 4,
    "aw_grateful": 5,
    "aw_would_miss": 3,
    "aw_support": 4,
    "aw_spread": 2,
    "aw_vision": 3,
    "touchpoint": "app",
    "csat": 4,
    "ideas": "ﾃｽﾄ　全角スペースも",
}


@pytest.fixture
def wave(db):
    from surveys.models import Wave

    return Wave.objects.create(
        name="2026年下期", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 3, 31)
    )


@pytest.fixture
def survey(wave):
    from surveys import services

    s = services.create_template_survey(
        title="お客さまアンケート", brand_name="さくらカフェ", wave=wave, slug="sakura-2026h2"
    )
    services.open_survey(survey=s)
    return s


@pytest.fixture
def customer(db):
    from engagement.customers.models import Customer

    return Customer.objects.create(
        external_id="C-001",
        email="hanako@example.jp",
        name="山田花子",
        contact_allowed=True,
        segment="gold",
    )


@pytest.fixture
def invitation_token(survey, customer):
    from surveys import services

    [(invitation, token)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    return invitation, token
