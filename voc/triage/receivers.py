"""What triage erases when a customer's personal data is deleted (``customer_forgotten``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten
from engagement.platform.erasure import scrub_rows
from voc.triage.models import Alert, BulkJob, HeardYouCampaign, Note, Reply, TriageEvent


@receiver(customer_forgotten, dispatch_uid="triage-erase-replies")
def erase_replies(
    sender: Any, *, customer: Customer, now: datetime, traces: list[str] = (), **kwargs: Any
) -> None:
    """Replies and alerts about the customer's items lose their text and addresses; notes and
    the audit trail keep their words but lose the customer's name, address and text."""
    traces = list(traces)
    Reply.objects.filter(item__customer=customer).update(
        subject="", body="", to_email="", updated_at=now
    )
    about = Alert.objects.filter(Q(item__customer=customer) | Q(customer=customer))
    about.update(subject="", body="", to=[], updated_at=now)
    scrub_rows(Note.objects.all(), text_fields=["body"], traces=traces)
    scrub_rows(Reply.objects.all(), text_fields=["subject", "body", "to_email"], traces=traces)
    scrub_rows(Alert.objects.all(), text_fields=["subject", "body", "last_error"], traces=traces)
    scrub_rows(Alert.objects.all(), json_fields=["to"], traces=traces)
    scrub_rows(
        TriageEvent.objects.all(), text_fields=["old_value", "new_value", "detail"], traces=traces
    )
    scrub_rows(HeardYouCampaign.objects.all(), text_fields=["message"], traces=traces)
    scrub_rows(BulkJob.objects.all(), json_fields=["params"], traces=traces)
