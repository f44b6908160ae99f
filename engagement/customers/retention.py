"""Retention of behaviour records: older than the period, they are deleted (issue 18)."""

from __future__ import annotations

from datetime import datetime

from engagement.audit.models import DataKind
from engagement.audit.retention import register
from engagement.customers.models import BehaviourRecord


def _old(cutoff: datetime):  # type: ignore[no-untyped-def]
    return BehaviourRecord.objects.filter(occurred_at__lt=cutoff)


def count_old_behaviour(cutoff: datetime) -> int:
    return _old(cutoff).count()


def delete_old_behaviour(cutoff: datetime) -> int:
    deleted, _detail = _old(cutoff).delete()
    return deleted


register(
    kind=DataKind.BEHAVIOUR,
    name="behaviour_records_deleted",
    count=count_old_behaviour,
    apply=delete_old_behaviour,
)
