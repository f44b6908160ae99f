"""One base URL: every link (personal, unsubscribe, public, QR, export, demo admin) comes from
SITE_URL, and `make demo` sets it from HOST and PORT."""

from __future__ import annotations

import io
import subprocess

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from engagement.customers.models import Customer
from surveys import services
from surveys.selectors import invitation_links
from surveys.services import links
from tests.conftest import ROOT

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]


@override_settings(SITE_URL="http://127.0.0.1:8123")
def test_every_link_is_built_from_site_url(survey):
    customer = Customer.objects.create(external_id="SU-1", email="s@example.jp")
    [(invitation, token)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    services.enable_public_link(survey=survey)
    survey.refresh_from_db()
    assert links.personal_url(invitation) == f"http://127.0.0.1:8123/s/{token}/"
    assert links.unsubscribe_url(invitation).startswith("http://127.0.0.1:8123/u/")
    assert links.public_url(survey).startswith("http://127.0.0.1:8123/p/")
    assert [url for _id, url in invitation_links(survey=survey)] == [
        f"http://127.0.0.1:8123/s/{token}/"
    ]


@override_settings(SITE_URL="http://127.0.0.1:8123")
def test_demo_admin_prints_the_site_url(db):
    out = io.StringIO()
    call_command("ensure_demo_admin", stdout=out)
    assert "http://127.0.0.1:8123/admin/" in out.getvalue()
    assert ":8000" not in out.getvalue()


def test_make_demo_passes_port_to_every_step():
    dry = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    steps = [line for line in dry.splitlines() if "manage.py" in line]
    assert len(steps) >= 6
    assert all("SITE_URL=http://127.0.0.1:8123" in line for line in steps)
    assert "Serving on http://127.0.0.1:8123/" in dry
    assert "8000" not in dry
