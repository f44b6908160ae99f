"""Surveys: design (survey, pages, questions), distribution (invitations) and answers (responses).

Responses are scored once, on submit, and the scores stored on the response (see ``scoring``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Touchpoint
from engagement.platform.models import TimeStampedModel
from engagement.platform.scope import restrict


class Wave(TimeStampedModel):
    """A survey wave (e.g. 2026年上期): results are compared wave after wave."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="wave_dates"
            )
        ]

    def __str__(self) -> str:
        return self.name


def _in_language(ja: str, en: str) -> str:
    """The English text when English is active and there is one, else the main (Japanese) one."""
    return en if en and (get_language() or "").startswith("en") else ja


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Survey(TimeStampedModel):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    brand_name = models.CharField(_("brand name"), max_length=100)
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("wave")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    description = models.TextField(_("introduction"), blank=True)
    thank_you_message = models.TextField(_("thank-you message"), blank=True)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    # Random nonce of the anonymous public link (the link adds an HMAC of it made with the secret
    # key, see ``surveys.tokens``); empty when the survey has no public link.
    public_nonce = models.CharField(max_length=64, blank=True, db_index=True)
    reminder_after_days = models.PositiveIntegerField(
        _("remind after (days)"),
        default=7,
        help_text=_("Send one reminder to those who have not answered this many days later."),
    )
    # Language versions besides Japanese (the main version), e.g. ["en"]: the question texts of
    # each come from the *_en fields; see surveys.languages.
    other_languages = models.JSONField(_("other language versions"), default=list, blank=True)
    contact_interval_days = models.PositiveIntegerField(
        _("minimum days between surveys"),
        default=30,
        help_text=_("Do not invite a customer who was sent a survey within this many days."),
    )

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def offered_languages(self) -> list[str]:
        """Japanese first, then the other versions this survey has (``surveys.languages``)."""
        from surveys.languages import offered

        return offered(self)


class Page(TimeStampedModel):
    """A section of a survey: customers see one page (question group) at a time."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="pages")
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["survey", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="page_position_unique")
        ]

    def __str__(self) -> str:
        return self.title or f"{self.position}"

    @property
    def display_title(self) -> str:
        return _in_language(self.title, self.title_en)


class QuestionKind(models.TextChoices):
    NPS = "nps", _("NPS (0–10)")
    AGREEMENT = "agreement", _("Agreement scale (5 points)")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    RATING = "rating", _("Rating (CSAT 1–5)")
    SHORT_TEXT = "short_text", _("Short free text")
    LONG_TEXT = "long_text", _("Long free text")


TEXT_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)


class AwarenessItem(models.TextChoices):
    """The eight engagement-awareness statements of DOMAIN.md section 1."""

    LIKE = "like", _("like")
    SATISFIED = "satisfied", _("satisfied")
    DEVOTION = "devotion", _("devotion")
    GRATEFUL = "grateful", _("grateful")
    WOULD_MISS = "would_miss", _("would miss")
    SUPPORT = "support", _("support")
    SPREAD = "spread", _("spread")
    VISION = "vision", _("vision")


class QuestionRole(models.TextChoices):
    """What a question means to the analysis, beyond its kind."""

    NONE = "", _("—")
    NPS = "nps", _("NPS")
    NPS_REASON = "nps_reason", _("Reason for the NPS score")
    AWARENESS = "awareness", _("Engagement-awareness statement")
    TOUCHPOINT = "touchpoint", _("Touchpoint of the experience")
    CSAT = "csat", _("CSAT of the touchpoint")
    IDEAS = "ideas", _("Ideas and requests")


class Question(TimeStampedModel):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(_("position"))
    key = models.SlugField(_("key"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind.choices)
    role = models.CharField(
        _("role"), max_length=20, choices=QuestionRole.choices, default="", blank=True
    )
    awareness_item = models.CharField(
        _("awareness statement"), max_length=20, choices=AwarenessItem.choices, blank=True
    )
    text = models.TextField(_("question"))
    text_en = models.TextField(_("question (English)"), blank=True)
    help_text = models.TextField(_("help text"), blank=True)
    help_text_en = models.TextField(_("help text (English)"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveIntegerField(_("maximum length"), default=5000)
    # Conditional display, e.g. {"question": "nps", "nps_category": "detractor"} or
    # {"question": "touchpoint", "choice": "store"}; empty means always shown.
    show_if = models.JSONField(_("show only if"), default=dict, blank=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "page__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="question_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def display_text(self) -> str:
        return _in_language(self.text, self.text_en)

    @property
    def display_help_text(self) -> str:
        return _in_language(self.help_text, self.help_text_en)


class Choice(TimeStampedModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(_("position"))
    value = models.SlugField(_("value"), max_length=50)
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "value"], name="choice_value_unique")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def display_label(self) -> str:
        return _in_language(self.label, self.label_en)


class InvitationStatus(models.TextChoices):
    CREATED = "created", _("Created")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    ANSWERED = "answered", _("Answered")


class Invitation(TimeStampedModel):
    """One customer's personal link to one survey.

    Only the link's random nonce is stored; the link also carries an HMAC of the nonce made with
    the secret key (``surveys.tokens``), so a copy of the database alone yields no working link.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(
        "engagement.Customer", on_delete=models.CASCADE, related_name="invitations"
    )
    nonce = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.CREATED,
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.customer_id}"


class DeliveryKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(TimeStampedModel):
    """One e-mail (invitation or reminder) to one invitation's customer: at most one of each kind.

    queued -> sent, or failed (with the reason; retried up to ``MAX_ATTEMPTS``), or skipped (the
    customer unsubscribed or the survey closed before the send).
    """

    MAX_ATTEMPTS = 5

    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("invitation"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=DeliveryKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("reason of failure"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail send")
        verbose_name_plural = _("e-mail sends")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind"], name="delivery_once_per_kind")
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.kind}:{self.status}"


class ResponseStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


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

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="response"
    )
    customer = models.ForeignKey(
        "engagement.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
    )
    status = models.CharField(
        max_length=12, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS
    )
    current_page = models.PositiveIntegerField(default=1)
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
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    number = models.SmallIntegerField(null=True, blank=True)  # NPS, agreement, rating
    text = models.TextField(blank=True)  # free text, exactly as typed (control chars stripped)
    choices = models.JSONField(default=list, blank=True)  # choice values

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response", "question"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"
