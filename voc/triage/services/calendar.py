"""The triage settings row and the business calendar (hours, holidays) it defines."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from ..businesshours import BusinessCalendar, calendar_from_settings
from ..models import TriageSettings


def get_triage_settings() -> TriageSettings:
    row = TriageSettings.objects.filter(id=1).first()
    if row is None:
        try:
            with transaction.atomic():
                row = TriageSettings.objects.create(id=1)
        except IntegrityError:
            row = TriageSettings.objects.get(id=1)
    return row


def current_calendar() -> BusinessCalendar:
    return calendar_from_settings(get_triage_settings())
