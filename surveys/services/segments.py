"""Inviting a segment of customers to a survey (the admin's 「セグメントで招待」)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from engagement.customers.models import Customer
from surveys.models import Invitation, Survey
from surveys.segments import Segment, customers_in
from surveys.services.distribution import create_invitations

CHUNK = 1000


def invite_segment(*, survey: Survey, segment: Segment, now: datetime | None = None) -> int:
    """Invite every customer of ``segment`` not invited yet; returns how many were invited now.

    One transaction: all or nothing. The e-mails go out with the survey's distribution run.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(customers_in(segment, now=now).order_by("id").values_list("id", flat=True))
        before = Invitation.objects.filter(survey=survey).count()
        for start in range(0, len(ids), CHUNK):
            create_invitations(
                survey=survey,
                customers=Customer.objects.filter(id__in=ids[start : start + CHUNK])
                .only("id", "forgotten_at")
                .order_by("id"),
                now=now,
            )
        return Invitation.objects.filter(survey=survey).count() - before
