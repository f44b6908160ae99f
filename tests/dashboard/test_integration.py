"""On PostgreSQL with Redis and a real Celery worker: summaries rebuilt by the worker, the
dashboard rendered, a CSV import run in the background."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.customers.models import Customer, ImportJob, ImportStatus
from engagement.dashboard import services
from engagement.dashboard.models import RollupRun
from tests.dashboard.conftest import T0, promoters_repeat_detractors_churn

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_dashboard_on_postgresql_with_summaries_rebuilt_by_the_worker(
    build, staff_client, celery_worker_process, wait
):
    assert connection.vendor == "postgresql"
    promoters_repeat_detractors_churn(build)
    services.request_refresh()
    run = wait(lambda: RollupRun.objects.filter(finished_at__isnull=False).first(), timeout=60)
    assert run.rows > 0
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "エンゲージメント・ダッシュボード" in body or "dashboard" in body.lower()
    assert 'id="chart-linkage_category"' in body
    data = response.context["data"]
    assert data.by_category["promoter"].repeat.value == pytest.approx(0.8)
    assert data.by_category["detractor"].churn.value == pytest.approx(0.6)
    small = len(queries)
    # ten times the responses: the same number of queries
    for i in range(200):
        c = build.customer(segment="B")
        build.response(c, score=i % 11, at=T0 + timedelta(days=i % 30), touchpoint="app")
    services.refresh_rollups()
    with CaptureQueriesContext(connection) as queries:
        assert staff_client.get(reverse("dashboard:index") + "?segment=B").status_code == 200
    assert len(queries) == small
    # a window other than the summaries' is computed live on PostgreSQL too
    live = staff_client.get(reverse("dashboard:index") + "?window=20").context["data"]
    assert live.linkage_live and live.by_category["detractor"].churn.value == 0


def test_csv_import_runs_on_the_worker(client, django_user_model, celery_worker_process, wait):
    user = django_user_model.objects.create_user(
        username="ops", password="x-secret-99", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_customer", "view_customer", "view_importjob"])
    )
    client.force_login(user)
    rows = "".join(f"K{i:05d},一般,k{i}@example.jp\r\n" for i in range(5000))
    data = ("external_id,segment,email\r\n" + rows).encode("cp932")
    response = client.post(
        reverse("admin:engagement_customer_import"),
        {"kind": "customers", "file": SimpleUploadedFile("顧客.csv", data, "text/csv")},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    done = wait(
        lambda: ImportJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).first(),
        timeout=90,
    )
    assert done.status == ImportStatus.DONE, done.message
    assert done.created_count == 5000 and Customer.objects.count() == 5000
    progress = client.get(reverse("admin:engagement_importjob_progress", args=[job.pk])).json()
    assert progress["percent"] == 100
