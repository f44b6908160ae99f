"""Voice of the customer: feedback items from every channel, and the topics they cluster into.

The original ``text`` of an item never changes; analysis results (normalised text, tokens,
sentiment, topic) are stored beside it. Triage state lives on the item too (``voc.triage``
adds the workflow around it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Touchpoint
from engagement.platform.models import TimeStampedModel
from engagement.platform.scope import restrict


class Channel(models.TextChoices):
    SURVEY = "survey", _("Survey")
    SUPPORT = "support", _("Support inquiry")
    REVIEW = "review", _("Review")
    SNS = "sns", _("SNS post")
    EMAIL = "email", _("E-mail")
    OTHER = "other", _("Other")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")
    MIXED = "mixed", _("Mixed")


class Topic(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    # True once staff renamed it: re-runs keep the name.
    name_is_custom = models.BooleanField(_("renamed by staff"), default=False)
    terms = models.JSONField(_("distinctive terms"), default=list, blank=True)
    # Up to three keywords shown beside the phrase label (voc.labels), set by each analysis.
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    is_other = models.BooleanField(_("other / unassigned"), default=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_topics"
    )
    is_active = models.BooleanField(_("active"), default=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    # Ids of 3–5 representative items (closest to the topic's centre), set by each analysis.
    quote_ids = models.JSONField(_("representative items"), default=list, blank=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-item_count", "id"]

    def __str__(self) -> str:
        return self.name


class TriageState(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", pgettext_lazy("triage state", "In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    NO_ACTION = "no_action", _("No action needed")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class FeedbackItemQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> FeedbackItemQuerySet:
        """The items ``user`` may see: the one scope rule (``engagement.platform.scope``)."""
        return restrict(self, user)


class SkipReason(models.TextChoices):
    """Why an item is left out of the topic analysis (shown as 「分析対象外」 with the reason)."""

    EMPTY = "empty", _("Empty text")
    NO_JAPANESE = "no_japanese", _("No Japanese text (only emoji, symbols or another language)")
    NO_WORDS = "no_words", _("No words the analysis can use")


class FeedbackItem(TimeStampedModel):
    text = models.TextField(_("text"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    customer = models.ForeignKey(
        "engagement.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
        verbose_name=_("customer"),
    )
    rating = models.SmallIntegerField(_("rating"), null=True, blank=True)
    # The source system's id (for de-duplication of imports), unique per channel.
    external_id = models.CharField(_("source ID"), max_length=200, null=True, blank=True)  # noqa: DJ001 (NULL: no source id; unique when given)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # From a survey: the free-text answer it came from, and the response's NPS and touchpoint.
    answer = models.OneToOneField(
        "surveys.Answer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_item",
    )
    response = models.ForeignKey(
        "surveys.Response",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
    )
    nps_score = models.PositiveSmallIntegerField(_("NPS score"), null=True, blank=True)
    nps_category = models.CharField(_("NPS category"), max_length=10, blank=True, db_index=True)
    touchpoint = models.CharField(
        _("touchpoint"), max_length=20, choices=Touchpoint.choices, blank=True
    )

    # --- analysis (written by voc.services; never by hand) ---
    normalized_text = models.TextField(blank=True)
    tokens = models.JSONField(default=list, blank=True)
    # Tokens joined by spaces, with leading/trailing spaces: " 解約 する "; token search uses it.
    token_text = models.TextField(blank=True)
    tokenized_at = models.DateTimeField(null=True, blank=True)
    dictionary_version = models.PositiveIntegerField(default=0)
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True, db_index=True
    )
    sentiment_score = models.FloatField(null=True, blank=True)
    # One entry per clause (voc.clauses): {"text", "start", "end", "sentiment", "score",
    # "topic_id"}; the item counts for every topic among its clauses, its own ``topic`` being
    # the primary one.
    aspects = models.JSONField(_("aspects"), default=list, blank=True)
    # Set when the item cannot be analysed (it then sits in "other / unassigned" with the reason).
    analysis_skipped_reason = models.CharField(
        _("not analysed because"), max_length=20, choices=SkipReason.choices, blank=True
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("topic"),
    )
    # Set when staff moved the item by hand: re-runs keep it where staff put it.
    topic_locked = models.BooleanField(_("topic set by staff"), default=False)
    topic_score = models.FloatField(null=True, blank=True)

    # --- triage (workflow in voc.triage) ---
    state = models.CharField(
        _("state"), max_length=12, choices=TriageState.choices, default=TriageState.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_feedback",
        verbose_name=_("owner"),
    )
    team = models.ForeignKey(
        "engagement.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
        verbose_name=_("team"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    objects = FeedbackItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="feedback_source_id_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["topic", "received_at"]),
            models.Index(fields=["state", "priority", "due_at"]),
            models.Index(fields=["tokenized_at"]),
            # The topic ranking and the report read only these narrow columns of the (wide)
            # items in a period: on PostgreSQL an index-only scan instead of the whole table.
            models.Index(
                fields=["received_at"],
                include=[
                    "topic",
                    "customer",
                    "response",
                    "sentiment",
                    "touchpoint",
                    "nps_category",
                    "topic_score",
                ],
                name="feedback_impact_covering",
            ),
            # (A report's quotes use feedback_topic_quotes, created on PostgreSQL only by
            # migration 0004: SQLite has no NULLS LAST in an index.)
        ]

    def __str__(self) -> str:
        return self.text[:40]


class DictionaryEntryKind(models.TextChoices):
    SYNONYM = "synonym", _("Synonym (replace with the canonical word)")
    STOP_WORD = "stop_word", _("Stop word (ignore)")


class UserDictionaryEntry(TimeStampedModel):
    """A staff-edited word for the analysis: 退会 → 解約, ｱﾌﾟﾘ → アプリ, or a word to ignore."""

    term = models.CharField(_("word"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=DictionaryEntryKind.choices,
        default=DictionaryEntryKind.SYNONYM,
    )
    canonical = models.CharField(_("canonical word"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("user dictionary entry")
        verbose_name_plural = _("user dictionary")
        ordering = ["term"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="synonym") | ~Q(canonical=""),
                name="dictionary_synonym_has_canonical",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == DictionaryEntryKind.SYNONYM:
            return f"{self.term} → {self.canonical}"
        return self.term


class AnalysisSettings(TimeStampedModel):
    """The one row of analysis settings: the dictionary version and the staff's topic count."""

    dictionary_version = models.PositiveIntegerField(default=1)
    # Empty: chosen automatically (silhouette over a range of k on a sample).
    topic_count = models.PositiveSmallIntegerField(
        _("number of topics (empty: automatic)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("analysis settings")
        verbose_name_plural = _("analysis settings")

    def __str__(self) -> str:
        return str(_("analysis settings"))


class AnalysisRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AnalysisRun(TimeStampedModel):
    """One full topic analysis; the latest done run's model assigns new items on arrival."""

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AnalysisRunStatus.choices,
        default=AnalysisRunStatus.RUNNING,
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    n_items = models.PositiveIntegerField(_("items analysed"), default=0)
    n_topics = models.PositiveIntegerField(_("topics found"), default=0)
    # How the number of topics was chosen, and the scores per k.
    selection = models.JSONField(_("choice of the number of topics"), default=dict, blank=True)
    # The fitted model (vocabulary, idf, projection, centroids, topic ids) as an .npz archive.
    model = models.BinaryField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def criterion_label(self) -> str:
        """How the number of topics was chosen, in the reader's language."""
        criterion = str((self.selection or {}).get("criterion", ""))
        if criterion.startswith("smallest k with median similarity"):
            return gettext(
                "the smallest number of topics at which the median comment is at least "
                "%(value)s similar to its topic's centre"
            ) % {"value": criterion.rsplit(" ", 1)[-1]}
        labels = {
            "communities of the shared-nearest-neighbour graph (Louvain)": gettext(
                "the groups of comments that resemble each other (communities of the "
                "nearest-neighbour graph)"
            ),
            "given": gettext("set by staff"),
            "silhouette (cosine) of k-means on a sample": gettext(
                "the best silhouette (cosine) of k-means on a sample"
            ),
        }
        return labels.get(criterion, criterion)


class CodingRule(TimeStampedModel):
    """A staff-defined code (KH Coder's コーディングルール): a name and a boolean expression over
    words and "phrases" (``高い | 値段 | 料金 & !安い``; see ``voc.coding``)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    expression = models.TextField(
        _("expression"),
        help_text=_(
            "Words match whole words (lemmas), “quoted phrases” the text; "
            "! not, & and, | or, parentheses group. Example: 高い | 値段 | 料金 & !安い"
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("coding rule")
        verbose_name_plural = _("coding rules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from voc.coding import CodingRuleError, parse_expression

        try:
            parse_expression(self.expression or "")
        except CodingRuleError as exc:
            raise ValidationError({"expression": exc.message}) from exc

    def save(self, *args: Any, **kwargs: Any) -> None:
        from voc.coding import parse_expression

        parse_expression(self.expression or "")  # never store a rule that does not parse
        super().save(*args, **kwargs)
