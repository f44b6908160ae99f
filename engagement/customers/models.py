"""The core customer domain: customers, what they do (behaviour records), teams, touchpoints.

Surveys, VoC, the dashboard and reports build on these; nothing here imports them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel
from engagement.platform.scope import restrict, scope_for

# Checked at save time (admin, imports); surveys.channels.validation has the same formats.
E164_VALIDATOR = RegexValidator(
    r"^\+[1-9]\d{7,14}$",
    _(
        "Enter the phone number in international format (E.164), e.g. +819012345678: "
        "a plus sign, the country code and the number, without hyphens."
    ),
)
LINE_USER_ID_VALIDATOR = RegexValidator(
    r"^U[0-9a-f]{32}$", _("A LINE user ID is a U followed by 32 hexadecimal characters.")
)


class Touchpoint(models.TextChoices):
    """Channels of the customer-experience flow, in journey order (DOMAIN.md section 4)."""

    SNS = "sns", _("SNS")
    WEB = "web", _("Website")
    APP = "app", _("App")
    STORE = "store", _("Store")
    EMAIL = "email", _("E-mail")
    CALL_CENTER = "call_center", _("Call centre")


class CustomerQuerySet(models.QuerySet):
    def active(self) -> CustomerQuerySet:
        return self.filter(forgotten_at__isnull=True)

    def visible_to(self, user: Any) -> CustomerQuerySet:
        """Customers ``user`` may see: all, or those with feedback in the user's scope
        (``engagement.platform.scope``)."""
        return restrict(self, user, prefix="feedback_items__")


class Customer(TimeStampedModel):
    external_id = models.CharField(_("customer ID"), max_length=100, unique=True)
    segment = models.CharField(_("segment"), max_length=50, blank=True, db_index=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    signed_up_on = models.DateField(_("sign-up date"), null=True, blank=True, db_index=True)
    # Personal data: shown only to staff with the view_personal_data permission.
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    contact_allowed = models.BooleanField(_("may be contacted"), default=False)
    unsubscribed_at = models.DateTimeField(_("unsubscribed from surveys at"), null=True, blank=True)
    forgotten_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    # Messaging channels (personal data too). LINE: the user id of our official account's
    # friend, linked through a one-time code (LineLinkCode); blocked = the user unfollowed.
    line_user_id = models.CharField(
        _("LINE user ID"), max_length=33, blank=True, validators=[LINE_USER_ID_VALIDATOR]
    )
    line_blocked_at = models.DateTimeField(_("LINE blocked at"), null=True, blank=True)
    # SMS: a mobile number in E.164 form, sent to only with the customer's consent.
    phone = models.CharField(
        _("mobile phone (E.164)"), max_length=16, blank=True, validators=[E164_VALIDATOR]
    )
    sms_allowed = models.BooleanField(_("agreed to receive SMS"), default=False)
    sms_opted_out_at = models.DateTimeField(_("SMS opt-out at"), null=True, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["external_id"]
        permissions = [
            ("view_personal_data", _("Can view customers' personal data")),
            ("view_all_teams", _("Can see the records of every team")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["line_user_id"],
                condition=~Q(line_user_id=""),
                name="customer_line_user_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class BehaviourKind(TimeStampedModel):
    """A kind of engagement behaviour; the built-in ones are created by a migration."""

    code = models.SlugField(_("code"), max_length=50, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    is_builtin = models.BooleanField(_("built in"), default=False)

    class Meta:
        verbose_name = _("behaviour kind")
        verbose_name_plural = _("behaviour kinds")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BuiltinBehaviour(models.TextChoices):
    """Codes of the built-in behaviour kinds (DOMAIN.md section 1)."""

    PURCHASE = "purchase", _("Purchase")
    RELATED_PURCHASE = "related_purchase", _("Related-item purchase")
    UPGRADE = "upgrade", _("Upgrade to a higher plan")
    PREMIUM_PURCHASE = "premium_purchase", _("Premium-price purchase")
    REFERRAL = "referral", _("Referral to friends")
    REVIEW = "review", _("Review / UGC")
    SNS_ENGAGEMENT = "sns_engagement", _("SNS like or comment")
    SNS_POST = "sns_post", _("SNS post about us")
    SHARE = "share", _("Share of our content")
    EVENT = "event", _("Event or community participation")
    FEEDBACK = "feedback", _("Feedback to the company")
    SUPPORT_CONTACT = "support_contact", _("Support contact")
    CANCELLATION = "cancellation", _("Cancellation (churn)")
    REACTIVATION = "reactivation", _("Re-activation")


class BehaviourRecordQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> BehaviourRecordQuerySet:
        """Records of the customers ``user`` may see (``Customer.objects.visible_to``)."""
        if scope_for(user).everything:
            return self
        return self.filter(customer__in=Customer.objects.visible_to(user).values("pk"))


class BehaviourRecord(TimeStampedModel):
    # No index of their own: the composite indexes below start with each (an insert maintains
    # every index; three fewer make imports of millions of records faster).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="behaviours",
        verbose_name=_("customer"),
        db_index=False,
    )
    kind = models.ForeignKey(
        BehaviourKind,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("kind"),
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    amount = models.BigIntegerField(_("amount (yen)"), null=True, blank=True)
    touchpoint = models.CharField(
        _("touchpoint"), max_length=20, choices=Touchpoint.choices, blank=True
    )
    # The source system's id for the event: re-sending the same batch never duplicates.
    event_id = models.CharField(_("event ID"), max_length=100, null=True, blank=True)  # noqa: DJ001
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    objects = BehaviourRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("behaviour record")
        verbose_name_plural = _("behaviour records")
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"], condition=Q(event_id__isnull=False), name="behaviour_event_id"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="behaviour_amount_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
            # The linkage lookups: one customer's records of some kinds in a time window.
            models.Index(
                fields=["customer", "kind", "occurred_at"], name="behaviour_cust_kind_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind_id} {self.occurred_at:%Y-%m-%d}"


class Team(TimeStampedModel):
    """A team of staff (CS teams, product areas); items and rules can be assigned to a team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, verbose_name=_("members")
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name=_("lead"),
    )
    email = models.EmailField(_("team e-mail"), blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    BEHAVIOURS = "behaviours", _("Behaviour records")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    VALIDATING = "validating", _("Checking the file")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(TimeStampedModel):
    """A CSV import run in the background (see ``engagement.customers.imports``), with its
    progress."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    file = models.FileField(_("file"), upload_to="imports/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    skip_invalid = models.BooleanField(_("import the valid rows only"), default=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")) | Q(rows_total=0),
                name="importjob_progress",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, round(self.rows_done * 100 / self.rows_total))


class ValueModelFit(TimeStampedModel):
    """One fit of the CLV models (``engagement.customers.clv``) and the refresh it scored."""

    as_of = models.DateTimeField(_("data up to"))
    customers = models.PositiveIntegerField(_("customers with a purchase"), default=0)
    fitted_on = models.PositiveIntegerField(_("customers in the fit sample"), default=0)
    params = models.JSONField(_("parameters"), default=dict)
    horizon_months = models.PositiveSmallIntegerField(_("horizon (months)"), default=12)
    monthly_discount_rate = models.FloatField(_("monthly discount rate"), default=0.01)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("customer value model fit")
        verbose_name_plural = _("customer value model fits")
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m-%d %H:%M}"


class CustomerValue(models.Model):
    """A customer's four values (DOMAIN.md section 2), stored by the refreshes that compute them.

    CLV and CRV are written by ``engagement.customers.valuation.refresh_customer_values``; CIV and
    the latest answer's indices by the dashboard (it reads VoC and surveys) and CKV by reports (it
    needs improvement actions), each writing only its own columns.
    """

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="value",
        verbose_name=_("customer"),
    )
    # CLV: the purchase summary (weeks) and the model's predictions over the horizon.
    repeat_purchases = models.PositiveIntegerField(_("repeat purchases"), default=0)
    recency_weeks = models.FloatField(_("weeks from first to last purchase"), default=0)
    age_weeks = models.FloatField(_("weeks since first purchase"), default=0)
    mean_amount = models.FloatField(_("mean purchase amount (yen)"), default=0)
    past_spend = models.BigIntegerField(_("spend to date (yen)"), default=0)
    p_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_spend = models.FloatField(
        _("expected amount per purchase (yen)"), null=True, blank=True
    )
    clv = models.FloatField(_("predicted CLV (yen)"), null=True, blank=True, db_index=True)
    clv_at = models.DateTimeField(_("CLV computed at"), null=True, blank=True)
    # CRV: the predicted CLV of the customers this customer referred.
    referrals = models.PositiveIntegerField(_("referrals"), default=0)
    referred_customers = models.PositiveIntegerField(_("referred customers found"), default=0)
    crv = models.FloatField(_("referral value (yen)"), default=0)
    # CIV and CKV: points, with the parts they are made of.
    civ = models.FloatField(_("influence value (points)"), default=0)
    civ_parts = models.JSONField(_("influence value parts"), default=dict, blank=True)
    civ_at = models.DateTimeField(_("CIV computed at"), null=True, blank=True)
    ckv = models.FloatField(_("knowledge value (points)"), default=0)
    ckv_parts = models.JSONField(_("knowledge value parts"), default=dict, blank=True)
    ckv_at = models.DateTimeField(_("CKV computed at"), null=True, blank=True)
    # The latest survey answer's NPS category and indices (written by the dashboard, which reads
    # surveys), so that the segment and NPS comparisons are one grouped query.
    nps_category = models.CharField(_("NPS category"), max_length=10, blank=True, db_index=True)
    awareness_index = models.FloatField(_("awareness index"), null=True, blank=True)
    empathy_index = models.FloatField(_("empathy index"), null=True, blank=True)
    attachment_index = models.FloatField(_("attachment index"), null=True, blank=True)
    answered_at = models.DateTimeField(_("latest answer at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        ordering = ["customer_id"]

    def __str__(self) -> str:
        return str(self.customer_id)


class LineLinkCode(TimeStampedModel):
    """A one-time code a customer sends to our LINE account to link their LINE user to them.

    Only an HMAC of the code is stored; it expires and is used once.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="line_link_codes")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("LINE link code")
        verbose_name_plural = _("LINE link codes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.expires_at:%Y-%m-%d %H:%M}"
