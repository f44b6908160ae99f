"""On PostgreSQL with a real Celery worker: the nightly value refresh (CLV, CRV, and through
the signal CIV and CKV), stored with the PostgreSQL upsert, read by the pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from engagement.customers.models import CustomerValue, ValueModelFit
from engagement.customers.tasks import refresh_customer_values
from engagement.platform import formatting
from tests.dashboard.test_values import _valued_customers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_refreshes_all_four_values(build, staff_client, celery_worker_process, wait):
    assert connection.vendor == "postgresql"
    promoters, detractors = _valued_customers(build)
    refresh_customer_values.delay()
    fit = wait(lambda: ValueModelFit.objects.first(), timeout=120)
    assert fit.customers == 12
    wait(lambda: CustomerValue.objects.filter(ckv_at__isnull=False).count() == 12, timeout=60)
    referrer = CustomerValue.objects.get(customer=promoters[0])
    referred = CustomerValue.objects.get(customer=detractors[0])
    # The worker scores as of now: months of silence since the test data's purchases (T0).
    assert referrer.clv >= 0 and 0 <= referrer.p_alive < 0.5
    assert (referrer.referrals, referrer.referred_customers) == (1, 1)
    assert referrer.crv == pytest.approx(referred.clv, abs=0.1)
    assert referrer.civ_parts["counts"]["sns_post"] == 1 and referrer.civ > 0
    assert referrer.ckv_parts["answers"] == 1
    assert (referrer.nps_category, referrer.awareness_index) == ("promoter", 80)
    body = staff_client.get(reverse("dashboard:customer", args=[promoters[0].pk])).content
    assert formatting.yen(referrer.crv) in body.decode()
