"""Signal receivers of the surveys app.

- What surveys erase when a customer's personal data is deleted (``customer_forgotten``).
- A change to a survey's pages, questions or choices touches the survey's ``updated_at``, which
  is the version of the cached survey plan (``surveys.flow.SurveyPlan.load``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten, customer_traces
from engagement.platform.erasure import scrub_rows
from surveys.models import Answer, Choice, Delivery, Page, Question, Response, Survey


@receiver(customer_traces, dispatch_uid="surveys-answer-traces")
def answer_traces(sender: Any, *, customer: Customer, **kwargs: Any) -> list[str]:
    return list(
        Answer.objects.filter(response__customer=customer)
        .exclude(text="")
        .order_by("id")
        .values_list("text", flat=True)
    )


@receiver(customer_forgotten, dispatch_uid="surveys-erase-answer-text")
def erase_answer_text(
    sender: Any, *, customer: Customer, now: datetime, traces: list[str] = (), **kwargs: Any
) -> None:
    """Free-text answers go; scores and categories stay, so aggregates stay right."""
    Answer.objects.filter(response__customer=customer).exclude(text="").update(
        text="", updated_at=now
    )
    # Failed sends may quote the address.
    scrub_rows(Delivery.objects.all(), text_fields=["error"], traces=list(traces))
    # URL parameters of store and campaign links (an order number, a customer ID…).
    scrub_rows(
        Response.objects.exclude(url_params={}), json_fields=["url_params"], traces=list(traces)
    )


@receiver(post_save, sender=Page, dispatch_uid="surveys-plan-page-saved")
@receiver(post_delete, sender=Page, dispatch_uid="surveys-plan-page-deleted")
@receiver(post_save, sender=Question, dispatch_uid="surveys-plan-question-saved")
@receiver(post_delete, sender=Question, dispatch_uid="surveys-plan-question-deleted")
def touch_survey_of(sender: Any, *, instance: Page | Question, **kwargs: Any) -> None:
    Survey.objects.filter(id=instance.survey_id).update(updated_at=timezone.now())


@receiver(post_save, sender=Choice, dispatch_uid="surveys-plan-choice-saved")
@receiver(post_delete, sender=Choice, dispatch_uid="surveys-plan-choice-deleted")
def touch_survey_of_choice(sender: Any, *, instance: Choice, **kwargs: Any) -> None:
    Survey.objects.filter(questions=instance.question_id).update(updated_at=timezone.now())
