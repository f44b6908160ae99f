"""On the demo data set, the dashboard shows promoters repeating more than detractors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from engagement.dashboard import services
from engagement.dashboard.selectors import dashboard
from surveys.filters import AnalysisFilters as Filters

pytestmark = pytest.mark.django_db


def test_demo_data_links_what_customers_said_to_what_they_did(staff_client):
    call_command("seed_demo", customers=200, seed=1, stdout=StringIO())
    services.refresh_rollups()
    data = dashboard(filters=Filters())
    promoters, detractors = data.by_category["promoter"], data.by_category["detractor"]
    assert promoters.n > 10 and detractors.n > 10
    assert promoters.repeat.value > detractors.repeat.value
    assert promoters.churn.value < detractors.churn.value
    assert len(data.trend) >= 2  # two waves
    response = staff_client.get(reverse("dashboard:index"))
    assert response.status_code == 200
