"""Surveys: design (survey, pages, questions), distribution (invitations) and answers (responses).

Responses are scored once, on submit, and the scores stored on the response (see ``scoring``).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Touchpoint
from engagement.platform import encryption
from engagement.platform.encryption import EncryptedTextField
from engagement.platform.models import TimeStampedModel
from engagement.platform.scope import restrict
from surveys.channels import validation
from surveys.links import LinkSource, PublicLink, UrlParameter, Widget  # noqa: F401 (models)


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
    max_responses = models.PositiveIntegerField(
        _("close after this many answers"),
        null=True,
        blank=True,
        help_text=_("The survey closes by itself when this many answers are in. Empty: no limit."),
    )
    # Raised each time a survey that has answers is reworded or loses a question; every
    # response records the version it was answered in (see ``QuestionWording``).
    version = models.PositiveIntegerField(_("version"), default=1)

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

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="pages", verbose_name=_("survey")
    )
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

    # Show the page only when this condition holds (same format as ``Question.show_if``).
    show_if = models.JSONField(_("show only if"), default=dict, blank=True)
    # After the page, the first rule whose condition holds decides where to go:
    # [{"if": {condition}, "goto": <page id> | "end"}]; an empty "if" always holds.
    jumps = models.JSONField(_("branching after this page"), default=list, blank=True)

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
    CES = "ces", _("Customer effort (CES 1–7)")
    LIKERT = "likert", _("Likert scale (5 or 7 points)")
    MATRIX = "matrix", _("Matrix (several statements on one scale)")
    DROPDOWN = "dropdown", _("Dropdown")
    RANKING = "ranking", _("Ranking")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    SHORT_TEXT = "short_text", _("Short free text")
    LONG_TEXT = "long_text", _("Long free text")


TEXT_KINDS = (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT)
# Kinds answered with one whole number (``Answer.number``).
NUMBER_KINDS = (
    QuestionKind.NPS,
    QuestionKind.AGREEMENT,
    QuestionKind.RATING,
    QuestionKind.CES,
    QuestionKind.LIKERT,
    QuestionKind.NUMBER,
)
# Kinds whose options are the question's ``Choice`` rows.
CHOICE_KINDS = (
    QuestionKind.SINGLE_CHOICE,
    QuestionKind.MULTIPLE_CHOICE,
    QuestionKind.DROPDOWN,
    QuestionKind.RANKING,
)
# The value of the 「その他」 option of a choice question with ``settings["other"]``.
OTHER_VALUE = "other"


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
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    page = models.ForeignKey(
        Page, on_delete=models.CASCADE, related_name="questions", verbose_name=_("page")
    )
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
    # Per kind: {"points": 5|7} (Likert, matrix), {"min": n, "max": n} (number),
    # {"rows": [{"value": .., "label": ..}]} (matrix statements), {"other": true} (choices).
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # A question deleted from a survey that has answers is archived: hidden from customers,
    # its answers kept.
    archived_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

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

    @property
    def points(self) -> int:
        """Number of points of a scale question."""
        fixed = {
            QuestionKind.NPS: 11,
            QuestionKind.AGREEMENT: 5,
            QuestionKind.RATING: 5,
            QuestionKind.CES: 7,
        }
        if self.kind in fixed:
            return fixed[self.kind]
        return 7 if (self.settings or {}).get("points") == 7 else 5

    def number_range(self) -> tuple[int, int] | None:
        """The allowed (low, high) of a number-valued question; None for other kinds."""
        if self.kind == QuestionKind.NPS:
            return 0, 10
        if self.kind in (
            QuestionKind.AGREEMENT,
            QuestionKind.RATING,
            QuestionKind.CES,
            QuestionKind.LIKERT,
        ):
            return 1, self.points
        if self.kind == QuestionKind.NUMBER:
            s = self.settings or {}
            return int(s.get("min", -2_000_000_000)), int(s.get("max", 2_000_000_000))
        return None

    @property
    def allows_other(self) -> bool:
        return self.kind in CHOICE_KINDS and bool((self.settings or {}).get("other"))

    def matrix_rows(self) -> list[dict[str, str]]:
        return list((self.settings or {}).get("rows") or [])


class QuestionWording(TimeStampedModel):
    """An earlier wording of a question of a survey that already had answers: answers given
    before ``replaced_at`` were given to this text (survey ``version``)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="wordings")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("question"))
    text_en = models.TextField(_("question (English)"), blank=True)
    replaced_at = models.DateTimeField(_("replaced at"))

    class Meta:
        verbose_name = _("earlier wording")
        verbose_name_plural = _("earlier wordings")
        ordering = ["question", "replaced_at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id}@{self.version}"


class Choice(TimeStampedModel):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
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


class HoldReason(models.TextChoices):
    FATIGUE = "fatigue", _("Contacted recently (contact-frequency rule)")
    OPTED_OUT = "opted_out", _("Opted out of survey messages")
    CHURNED = "churned", _("Churned (cancelled)")
    NO_ADDRESS = "no_address", _("No usable e-mail, LINE or phone")
    NOT_ALLOWED = "not_allowed", _("Contact not allowed")


class Invitation(TimeStampedModel):
    """One customer's personal link to one survey.

    Only the link's random nonce is stored; the link also carries an HMAC of the nonce made with
    the secret key (``surveys.tokens``), so a copy of the database alone yields no working link.
    """

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    customer = models.ForeignKey(
        "engagement.Customer",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("customer"),
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
    # Why the invitation was not sent (yet): set by each distribution run, cleared when queued.
    held_reason = models.CharField(
        _("held back because"), max_length=12, choices=HoldReason.choices, blank=True
    )

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
    # The provider reported the message reached the phone (Twilio's status callback).
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LINE = "line", "LINE"
    SMS = "sms", "SMS"


class Delivery(TimeStampedModel):
    """One message (invitation or reminder) to one invitation's customer, by e-mail, LINE or
    SMS: at most one of each kind.

    queued -> sent, or failed (with the provider's reason; transient failures are retried with
    backoff until ``MAX_ATTEMPTS``, then ``next_attempt_at`` is cleared: failed for good), or
    skipped (the customer opted out or the survey closed before the send). A queued send in
    quiet hours waits with ``next_attempt_at`` at their end.
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
    channel = models.CharField(
        _("channel"), max_length=8, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=100, blank=True)
    # Sends the same message again (the idempotency key of a re-send differs from the first).
    resend_count = models.PositiveSmallIntegerField(_("re-sends"), default=0)

    class Meta:
        verbose_name = _("send")
        verbose_name_plural = _("sends")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind"], name="delivery_once_per_kind")
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.kind}:{self.channel}:{self.status}"


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


class ChannelAccount(TimeStampedModel):
    """Credentials of a messaging channel saved in the admin; without a row (or with the row
    disabled) the environment's settings are used (``LINE_*``, ``TWILIO_*``).

    Formats are checked at save time with a message in Japanese; secrets are never shown back
    or logged.
    """

    channel = models.CharField(
        _("channel"),
        max_length=8,
        unique=True,
        choices=[(DeliveryChannel.LINE, "LINE"), (DeliveryChannel.SMS, "SMS (Twilio)")],
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    api_base_url = models.CharField(
        _("API base URL"),
        max_length=200,
        blank=True,
        help_text=_(
            "Leave empty for the provider's own (https://api.line.me, https://api.twilio.com)."
        ),
        validators=[validation.validate_base_url],
    )
    account_sid = models.CharField(
        _("account SID (SMS)"),
        max_length=34,
        blank=True,
        validators=[validation.validate_twilio_account_sid],
    )
    sender = models.CharField(
        _("sender number (SMS, E.164)"),
        max_length=16,
        blank=True,
        validators=[validation.validate_e164],
    )
    # Encrypted at rest (``engagement.platform.encryption``); the admin never shows them back.
    access_token = EncryptedTextField(_("access token"), blank=True)
    secret = EncryptedTextField(_("channel secret"), blank=True)

    class Meta:
        verbose_name = _("messaging channel")
        verbose_name_plural = _("messaging channels")
        ordering = ["channel"]

    def __str__(self) -> str:
        return self.get_channel_display()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, list[Any]] = {}
        checks = (
            [
                ("access_token", validation.validate_line_access_token),
                ("secret", validation.validate_line_channel_secret),
            ]
            if self.channel == DeliveryChannel.LINE
            else [("access_token", validation.validate_twilio_auth_token)]
        )
        for field, check in checks:
            try:
                check(getattr(self, field))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
        if self.enabled:
            needed = (
                ["access_token", "secret"]
                if self.channel == DeliveryChannel.LINE
                else ["account_sid", "access_token", "sender"]
            )
            for field in needed:
                value = getattr(self, field)
                if not value and not encryption.is_unreadable(value):
                    errors.setdefault(field, []).append(_("Required while the channel is enabled."))
        if errors:
            raise ValidationError(errors)
