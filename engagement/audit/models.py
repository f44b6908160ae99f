"""The audit log (append-only, hash-chained), retention policies and runs, staff sessions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.platform.errors import DomainError


class AuditImmutable(DomainError):
    code = "audit_immutable"
    status_code = 405


class AuditAction(models.TextChoices):
    CUSTOMER_VIEW = "customer.view", _("Viewed a customer")
    EXPORT = "export", _("Exported a file")
    API_READ = "api.read", _("Read personal data through the API")
    PERSONAL_DATA_VIEW = "personal_data.view", _("Viewed a page with personal data")
    ROLE_CHANGE = "role.change", _("Changed roles")
    PERMISSION_CHANGE = "permission.change", _("Changed permissions")
    CUSTOMER_FORGET = "customer.forget", _("Erased a customer's personal data")
    SETTING_CHANGE = "setting.change", _("Changed a setting")
    SIGN_IN = "auth.sign_in", _("Signed in")
    SIGN_IN_FAILED = "auth.sign_in_failed", _("Sign-in refused")
    SIGN_OUT = "auth.sign_out", _("Signed out")
    SIGN_OUT_EVERYWHERE = "auth.sign_out_everywhere", _("Signed out everywhere")
    TWO_FACTOR = "auth.two_factor", _("Changed two-factor sign-in")
    RETENTION = "retention.run", _("Applied retention rules")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AuditImmutable(_("Audit entries cannot be changed."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditImmutable(_("Audit entries cannot be deleted."))

    def ordered(self) -> AuditEntryQuerySet:
        return self.order_by("-at", "-id")


def entry_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous entry's hash and this entry's content (canonical JSON)."""
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + "\n" + payload).encode()).hexdigest()


class AuditEntry(models.Model):
    """One thing a staff member did or saw. Never updated; deleted only by the retention run."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # Plain ids and names, not foreign keys: an entry outlives the user and the customer, and
    # a cascade (SET NULL) would be an update the database refuses.
    actor_id = models.BigIntegerField(_("staff ID"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("staff"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object ID"), max_length=100, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    customer_id = models.BigIntegerField(_("customer ID"), null=True, blank=True, db_index=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True)
    hash = models.CharField(_("hash"), max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        permissions = [("export_auditentry", _("Can export the audit log"))]
        indexes = [models.Index(fields=["actor_username", "at"], name="audit_actor_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AuditImmutable(_("Audit entries cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditImmutable(_("Audit entries cannot be deleted."))

    def chained_fields(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat(),  # as the database gives it back
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "ip": self.ip,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "customer_id": self.customer_id,
            "path": self.path,
            "detail": self.detail,
        }


class AuditChainHead(models.Model):
    """The last hash of the chain (one row): locked while a batch is appended."""

    last_hash = models.CharField(max_length=64, blank=True)
    entries = models.BigIntegerField(default=0)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return self.last_hash or "-"


class DataKind(models.TextChoices):
    FEEDBACK_TEXT = "feedback_text", _("Free-text feedback")
    RESPONSES = "responses", _("Survey responses")
    BEHAVIOUR = "behaviour", _("Behaviour records")
    AUDIT_LOG = "audit_log", _("Audit log")
    EXPORTS = "exports", _("Exports kept on the server")


class RetentionPolicy(models.Model):
    """Keep one kind of data ``months`` months; 0 keeps it for ever."""

    kind = models.CharField(_("data kind"), max_length=30, choices=DataKind.choices, unique=True)
    months = models.PositiveIntegerField(_("keep for (months)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.months}"


class RetentionRun(models.Model):
    """What one retention run removed (or, for a dry run, would have removed)."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    trigger = models.CharField(_("started by"), max_length=100, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    cutoffs = models.JSONField(_("cut-off dates"), default=dict, blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'dry run' if self.dry_run else ''}".strip()


class StaffSession(models.Model):
    """Which sessions belong to whom, so that "sign out everywhere" ends them all."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.session_key[:8]}…"
