"""Retention: the dry run shows what would go and changes nothing; the run makes it go."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from engagement.audit.models import AuditAction, AuditEntry, RetentionRun
from engagement.audit.retention import apply_retention, months_before
from tests.audit.retention_data import EXPECTED, NOW, check_applied, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_dry_run_counts_and_changes_nothing_then_the_run_applies(build):
    world = make_world(build)
    dry = apply_retention(now=NOW, dry_run=True, trigger="test")
    assert dry.dry_run and dry.counts == EXPECTED
    world.old_item.refresh_from_db()
    assert world.old_item.text == "配送が遅い。山田です。"
    assert world.old_file.exists()
    assert AuditEntry.objects.filter(object_repr="old.csv").exists()

    run = apply_retention(now=NOW, trigger="test")
    assert not run.dry_run and run.counts == EXPECTED
    assert run.cutoffs["feedback_text"] == "2026-06-15T12:00:00+09:00"
    check_applied(world)
    # nothing left to do: a second run removes nothing
    assert set(apply_retention(now=NOW).counts.values()) == {0}
    recorded = AuditEntry.objects.filter(action=AuditAction.RETENTION).order_by("id")
    assert [e.detail["dry_run"] for e in recorded] == [True, False, False]


def test_kinds_without_a_period_are_kept(build, settings):
    world = make_world(build)
    from engagement.audit.models import RetentionPolicy

    RetentionPolicy.objects.filter(kind="behaviour").update(months=0)
    run = apply_retention(now=NOW)
    assert "behaviour_records_deleted" not in run.counts
    from engagement.customers.models import BehaviourRecord

    assert BehaviourRecord.objects.count() == 3
    world.old_item.refresh_from_db()
    assert world.old_item.text == ""


def test_command_dry_run_prints_what_would_go(build, monkeypatch):
    make_world(build)
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "feedback_text: 1 would go (feedback_texts_erased" in text
    assert "behaviour: 2 would go" in text
    assert "(dry run)" in text
    assert RetentionRun.objects.get().dry_run
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "behaviour: 2 went" in out.getvalue()
    assert RetentionRun.objects.filter(dry_run=False).get().counts == EXPECTED


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        ("2027-03-31T10:00:00+09:00", 1, "2027-02-28T10:00:00+09:00"),
        ("2027-01-15T00:00:00+09:00", 13, "2025-12-15T00:00:00+09:00"),
        ("2028-02-29T00:00:00+09:00", 12, "2027-02-28T00:00:00+09:00"),
    ],
)
def test_months_before(moment, months, expected):
    from datetime import datetime

    assert months_before(datetime.fromisoformat(moment), months).isoformat() == expected
