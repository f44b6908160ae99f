"""Retention of survey responses: older than the period, a response is anonymised (issue 18).

The link to the customer and the invitation goes, and so does free text; scores, NPS category,
indices, touchpoint and dates stay, so every aggregate (NPS, indices by wave) stays the same.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from engagement.audit.models import DataKind
from engagement.audit.retention import register
from surveys.models import Answer, Response


def _old(cutoff: datetime) -> QuerySet[Response]:
    submitted_before = Q(submitted_at__lt=cutoff) | Q(
        submitted_at__isnull=True, created_at__lt=cutoff
    )
    linked = Q(customer__isnull=False) | Q(invitation__isnull=False)
    return Response.objects.filter(submitted_before & linked)


def count_old_responses(cutoff: datetime) -> int:
    return _old(cutoff).count()


def anonymise_old_responses(cutoff: datetime) -> int:
    ids = list(_old(cutoff).values_list("id", flat=True))
    now = timezone.now()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        Answer.objects.filter(response_id__in=chunk).exclude(text="").update(
            text="", updated_at=now
        )
        Response.objects.filter(id__in=chunk).update(customer=None, invitation=None, updated_at=now)
    return len(ids)


register(
    kind=DataKind.RESPONSES,
    name="responses_anonymised",
    count=count_old_responses,
    apply=anonymise_old_responses,
)
