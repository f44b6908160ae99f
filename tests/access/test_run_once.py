"""Handlers that run twice change nothing the second time (a redelivery after a lost
acknowledgement, or a re-run after a killed worker): bulk jobs, reports, imports; the analysis
is in tests/voc/test_run_once.py."""

from __future__ import annotations

from django.core.files.base import ContentFile

from engagement.customers.imports import run_import_job
from engagement.customers.models import Customer, ImportJob, ImportStatus
from engagement.reports import services as report_services
from engagement.reports.models import Report
from voc.models import FeedbackItem
from voc.triage.models import BulkJob, TriageEvent
from voc.triage.models.bulk import JobState
from voc.triage.services import bulk


def test_a_bulk_job_run_again_or_resumed_changes_nothing_more(world):
    items = FeedbackItem.objects.filter(id__in=[world.item_a.id, world.item_b.id])
    job = bulk.start_bulk_action(
        queryset=items, action="assign", actor=world.users["admin"], team_id=world.team_a.id
    )
    job = bulk.run_bulk_job(job_id=job.id)
    events = TriageEvent.objects.count()
    assert job.state == JobState.DONE and job.changed == 1  # item A was in team A already
    assert bulk.run_bulk_job(job_id=job.id).changed == 1
    # As if the worker died after the first chunk: resumed, it finds the work done.
    BulkJob.objects.filter(id=job.id).update(state=JobState.RUNNING, processed=0, changed=0)
    job = bulk.run_bulk_job(job_id=job.id)
    assert job.changed == 0 and TriageEvent.objects.count() == events
    assert set(items.values_list("team", flat=True)) == {world.team_a.id}


def test_a_report_generated_twice_keeps_its_snapshot(world):
    report = world.objects["report"]
    again = report_services.generate_report(report_id=report.id)
    assert again.data == report.data and again.generated_at == report.generated_at
    assert Report.objects.count() == 1


def test_an_import_run_again_adds_nothing(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    content = "external_id,segment\nNEW-1,一般\nNEW-2,法人\n".encode("cp932")

    def job_with_file() -> ImportJob:
        job = ImportJob.objects.create(
            kind="customers", original_name="c.csv", status=ImportStatus.IMPORTING
        )
        job.file.save("c.csv", ContentFile(content))
        return job

    job = job_with_file()
    run_import_job(job_id=job.id)
    count = Customer.objects.count()
    assert ImportJob.objects.get(id=job.id).status == ImportStatus.DONE
    assert not ImportJob.objects.get(id=job.id).file  # the file does not stay on the server
    run_import_job(job_id=job.id)  # redelivered: a finished job is left alone
    # The import is one transaction, so a killed run left nothing; the re-run (here: the same
    # file again, as a re-upload would) upserts by customer ID.
    run_import_job(job_id=job_with_file().id)
    assert Customer.objects.count() == count
    segments = Customer.objects.filter(external_id__startswith="NEW-").values_list(
        "segment", flat=True
    )
    assert sorted(segments) == ["一般", "法人"]
