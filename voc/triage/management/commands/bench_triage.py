"""Measure a bulk action over a large filtered selection; prints one JSON line per phase.

``python manage.py bench_triage --items 5000``: creates the items, runs a bulk "assign" and a
bulk "change state" on them, and rolls everything back (nothing is left in the database).
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from engagement.customers.models import Team
from voc.models import FeedbackItem
from voc.triage import services
from voc.triage.services import bulk


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark triage bulk actions (request part and background part) on N items."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--items", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["items"]
        try:
            with transaction.atomic():
                self._run(n)
                raise Rollback
        except Rollback:
            pass

    def _emit(self, **row: Any) -> None:
        self.stdout.write(json.dumps(row, ensure_ascii=False))

    def _run(self, n: int) -> None:
        user = get_user_model().objects.create(username="bench-triage-lead", is_staff=True)
        team = Team.objects.create(name="bench-triage-team")
        now = timezone.now()
        FeedbackItem.objects.bulk_create(
            [
                FeedbackItem(
                    text=f"解約したい {i}", channel="support", received_at=now, state="new"
                )
                for i in range(n)
            ],
            batch_size=2000,
        )
        ids = list(
            FeedbackItem.objects.filter(channel="support", team__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        plan = [
            ("assign", {"team_id": team.id, "owner_id": user.id}),
            ("state", {"state": "in_progress"}),
        ]
        for action, params in plan:
            started = time.perf_counter()
            # The admin request's part: record the job (a large one then runs in a task).
            job = bulk.BulkJob.objects.create(
                action=action, params=params, item_ids=ids, total=len(ids), actor=user
            )
            request_seconds = time.perf_counter() - started
            started = time.perf_counter()
            services.run_bulk_job(job_id=job.id)
            background = time.perf_counter() - started
            job.refresh_from_db()
            self._emit(
                name=f"bulk_{action}",
                items=job.total,
                changed=job.changed,
                request_seconds=round(request_seconds, 3),
                background_seconds=round(background, 3),
                items_per_second=round(job.total / background),
            )
