"""Answers: responses (scored once, on submit; see ``surveys.scoring``) and their answers."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engagement.customers.models import Touchpoint
from engagement.platform.models import TimeStampedModel
from engagement.platform.scope import restrict
from surveys.models.design import Question, Survey
from surveys.models.distribution import Invitation


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", pgettext_lazy("survey response", "In progress")
    COMPLETED = "completed", _("Completed")
    # A staff test through the test link: finished, but never counted (not "completed").
    TEST_DONE = "test_done", _("Test (not counted)")


class NpsCategory(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


class ResponseQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ResponseQuerySet:
        """Responses ``user`` may see: all, or those whose feedback items are in the user's
        scope (``engagement.platform.scope``)."""
        return restrict(self, user, prefix="feedback_items__")


class Response(TimeStampedModel):
    """A customer's answers to a survey; scores are computed once on submit and stored."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey")
    )
    invitation = models.OneToOneField(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response",
        verbose_name=_("invitation"),
    )
    customer = models.ForeignKey(
        "engagement.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ResponseStatus.choices,
        default=ResponseStatus.IN_PROGRESS,
    )
    current_page = models.PositiveIntegerField(_("current page"), default=1)
    is_test = models.BooleanField(_("test answer"), default=False)
    survey_version = models.PositiveIntegerField(_("survey version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, db_index=True)
    touchpoint = models.CharField(
        _("touchpoint"), max_length=20, choices=Touchpoint.choices, blank=True
    )
    nps_score = models.PositiveSmallIntegerField(_("NPS score"), null=True, blank=True)
    nps_category = models.CharField(
        _("NPS category"), max_length=10, choices=NpsCategory.choices, blank=True, db_index=True
    )
    csat_score = models.PositiveSmallIntegerField(_("CSAT"), null=True, blank=True)
    empathy_index = models.FloatField(_("empathy index"), null=True, blank=True)
    attachment_index = models.FloatField(_("attachment index"), null=True, blank=True)
    awareness_index = models.FloatField(_("awareness index"), null=True, blank=True)
    # The language version the customer answered in (answers of every version are analysed
    # together; this only tells them apart).
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    # Through a store or campaign link, and the URL parameters it was opened with: the survey's
    # allow-listed ones and those its conditions refer to.
    public_link = models.ForeignKey(
        "surveys.PublicLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("public link"),
    )
    url_params = models.JSONField(_("URL parameters"), default=dict, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nps_score__isnull=True) | Q(nps_score__lte=10), name="response_nps_0_10"
            ),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="response_csat_1_5",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(submitted_at__isnull=False),
                name="response_completed_has_submitted_at",
            ),
        ]
        indexes = [models.Index(fields=["survey", "status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.id}"


class Answer(TimeStampedModel):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    number = models.IntegerField(_("score"), null=True, blank=True)  # NPS, scales, number
    # free text, exactly as typed (control chars stripped)
    text = models.TextField(_("free text"), blank=True)
    # choice values (ranking: in the order given); matrix: {row value: number}
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response", "question"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"
