"""Survey design: waves, surveys, pages, questions (kinds and roles), earlier wordings and
choices."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel


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
        """The statements of a matrix: ``{"value", "label", "label_en"}`` (answers are stored
        by ``value``, so every language version is analysed together)."""
        return list((self.settings or {}).get("rows") or [])

    @staticmethod
    def statement_label(row: dict[str, str]) -> str:
        """A matrix statement in the active language."""
        return _in_language(row.get("label") or row.get("value", ""), row.get("label_en", ""))

    def scale_ends(self) -> tuple[str, str]:
        """The labels of the lowest and highest point set in the builder, in the active
        language (``settings["low_label"]``, ``["high_label"]`` and their ``_en``); "" where
        none is set (the standard labels of the scale apply)."""
        s = self.settings or {}
        return (
            _in_language(str(s.get("low_label") or ""), str(s.get("low_label_en") or "")),
            _in_language(str(s.get("high_label") or ""), str(s.get("high_label_en") or "")),
        )


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
