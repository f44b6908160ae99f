"""Celery tasks of the VoC app: thin wrappers (keyword ids in, one service call)."""

from __future__ import annotations

from celery import shared_task

from engagement.platform.outbox import OutboxTask


@shared_task(base=OutboxTask, name="voc.ingest_response")
def ingest_response(*, response_id: int) -> int:
    from voc.services import ingest_survey_response

    return len(ingest_survey_response(response_id=response_id))


@shared_task(base=OutboxTask, name="voc.analyze_chunk")
def analyze_chunk(*, item_ids: list[int]) -> int:
    from voc.services import analyze_items

    return analyze_items(item_ids=item_ids)


@shared_task(base=OutboxTask, name="voc.retokenize")
def retokenize(*, version: int) -> int:
    """The user dictionary changed: re-tokenise every item, one chunk task per chunk of ids."""
    from voc.services import dispatch_tokenization

    return dispatch_tokenization()


@shared_task(base=OutboxTask, name="voc.run_analysis")
def run_analysis() -> int:
    from voc.models import AnalysisRun, AnalysisRunStatus
    from voc.services import run_analysis as run

    done = run()
    # A run cut short (its worker killed) wrote no topics (they are stored in one transaction
    # at the end) but left its row "running"; the run that completed the work closes it.
    AnalysisRun.objects.filter(
        status=AnalysisRunStatus.RUNNING, started_at__lt=done.started_at
    ).update(status=AnalysisRunStatus.FAILED, error="interrupted; completed by a later run")
    return done.id


@shared_task(base=OutboxTask, name="voc.analyze_pending")
def analyze_pending() -> int:
    """Safety net (beat): chunk tasks for items not yet tokenised with the current dictionary."""
    from voc.services import dispatch_tokenization

    return dispatch_tokenization()


@shared_task(name="voc.detect_topic_spikes", ignore_result=True)
def detect_topic_spikes() -> list[int]:
    """Beat (hourly): announce topics whose last 24 hours stand out; once a topic a day."""
    from django.db import transaction

    from voc.services.announcements import detect_topic_spikes as detect

    with transaction.atomic():
        return detect()
