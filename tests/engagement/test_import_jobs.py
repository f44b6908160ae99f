"""Background imports from the admin upload page: job, progress, errors, file removed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engagement.customers import imports
from engagement.customers.models import Customer, ImportJob, ImportStatus

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = "external_id,segment,email\r\nC1,一般,a@example.jp\r\nC2,法人,b@example.jp\r\n".encode(
    "cp932"
)
BAD = "external_id,signed_up_on\r\nC1,2025/02/30\r\n".encode("cp932")


@pytest.fixture
def importer(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="ops", password="x-secret-99", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_customer", "view_customer", "view_importjob"])
    )
    client.force_login(user)
    return client


def upload(client, data, **extra):
    return client.post(
        reverse("admin:engagement_customer_import"),
        {"kind": "customers", "file": SimpleUploadedFile("顧客.csv", data, "text/csv"), **extra},
    )


def test_upload_runs_in_the_background_and_shows_progress(importer):
    response = upload(importer, GOOD)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    # Celery runs eagerly in unit tests: the outbox sent the task after the upload's commit.
    assert job.status == ImportStatus.DONE, job.message
    assert (job.rows_total, job.created_count) == (2, 2)
    assert not job.file  # the uploaded file (personal data) is deleted afterwards
    assert Customer.objects.count() == 2
    progress = importer.get(reverse("admin:engagement_importjob_progress", args=[job.pk])).json()
    assert progress == {"status": "done", "rows_done": 2, "rows_total": 2, "percent": 100}
    page = importer.get(reverse("admin:engagement_importjob_change", args=[job.pk]))
    assert page.status_code == 200 and "import-bar" in page.content.decode()


def test_a_bad_file_fails_with_row_and_column_and_imports_nothing(importer):
    upload(importer, BAD)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    assert "signed_up_on" in job.message and "2" in job.message
    assert job.errors and "signed_up_on" in job.errors[0]
    assert not Customer.objects.exists()


def test_empty_upload_is_refused_on_the_form(importer):
    response = upload(importer, b"")
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_running_a_finished_job_again_does_nothing(importer):
    upload(importer, GOOD)
    job = ImportJob.objects.get()
    Customer.objects.all().delete()
    imports.run_import_job(job_id=job.pk)
    assert not Customer.objects.exists()


def test_upload_needs_permission(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="ro", password="x-secret-99", is_staff=True
    )
    user.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(user)
    assert upload(client, GOOD).status_code == 403
    assert not ImportJob.objects.exists()


def test_import_page_and_changelist_link(importer):
    page = importer.get(reverse("admin:engagement_customer_import"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'enctype="multipart/form-data"' in body and "customer_external_id" in body
    changelist = importer.get(reverse("admin:engagement_customer_changelist")).content.decode()
    assert reverse("admin:engagement_customer_import") in changelist
