"""Retention through the real Celery worker (as beat sends it) on PostgreSQL and Redis, and
the database's own guard on the audit log."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError

from engagement.audit.log import record, verify_chain
from engagement.audit.models import AuditAction, AuditEntry, RetentionRun
from tests.audit.retention_data import EXPECTED, NOW, check_applied, make_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_nightly_retention_runs_on_the_worker(celery_worker_process, wait, build):
    from engagement.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["audit-apply-retention"]["task"] == "audit.apply_retention"
    world = make_world(build)  # files under the worker's MEDIA_ROOT (var/media/exports)
    try:
        app.send_task("audit.apply_retention", kwargs={"dry_run": True, "now": NOW.isoformat()})
        dry = wait(lambda: RetentionRun.objects.filter(dry_run=True).first(), timeout=60)
        assert dry.counts == EXPECTED and dry.trigger == "beat"
        world.old_item.refresh_from_db()
        assert world.old_item.text != ""

        app.send_task("audit.apply_retention", kwargs={"now": NOW.isoformat()})
        run = wait(lambda: RetentionRun.objects.filter(dry_run=False).first(), timeout=60)
        assert run.counts == EXPECTED
        check_applied(world)
    finally:
        world.old_file.unlink(missing_ok=True)
        world.new_file.unlink(missing_ok=True)


def test_postgresql_refuses_to_change_or_delete_audit_entries():
    entry = record(action=AuditAction.EXPORT, object_repr="a.csv")
    for sql in (
        "UPDATE audit_auditentry SET object_repr = 'b.csv' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "a.csv"
    assert verify_chain() == []
