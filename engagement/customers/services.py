"""Writes of the engagement core: customers, behaviour records, personal-data erasure, imports.

Views, the API, admin actions, commands and tasks all call these functions.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from engagement.customers.models import (
    BehaviourKind,
    BehaviourRecord,
    BuiltinBehaviour,
    Customer,
    ImportJob,
    ImportKind,
)
from engagement.platform import outbox
from engagement.platform.csvfiles import is_xlsx
from engagement.platform.errors import InvalidInput

# Sent inside forget_customer's transaction (kwargs: customer, now) so that upper layers
# (survey answers, feedback text) erase what they hold about the customer.
customer_forgotten = Signal()

CUSTOMER_FIELDS = ("segment", "attributes", "signed_up_on", "name", "email", "contact_allowed")
FORGOTTEN_PREFIX = "forgotten-"


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def add(self, other: WriteCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped}


def upsert_customers(*, rows: Sequence[dict[str, Any]], now: datetime) -> WriteCounts:
    """Create or update customers by ``external_id``; only the keys present in a row change.

    Each row: ``external_id`` and any of ``CUSTOMER_FIELDS`` (already validated values).
    """
    counts = WriteCounts()
    if not rows:
        return counts
    seen: set[str] = set()
    for row in rows:
        if row["external_id"] in seen:
            raise InvalidInput(
                _("Customer ID “%(id)s” appears twice in the batch.") % {"id": row["external_id"]},
                fields={"external_id": [row["external_id"]]},
            )
        seen.add(row["external_id"])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        keys = tuple(sorted(key for key in row if key in CUSTOMER_FIELDS))
        groups.setdefault(keys, []).append(row)
    with transaction.atomic():
        existing = set(
            Customer.objects.filter(external_id__in=seen).values_list("external_id", flat=True)
        )
        for keys, group in groups.items():
            objects = [
                Customer(
                    external_id=row["external_id"],
                    created_at=now,
                    updated_at=now,
                    **{key: row[key] for key in keys},
                )
                for row in group
            ]
            Customer.objects.bulk_create(
                objects,
                update_conflicts=True,
                unique_fields=["external_id"],
                update_fields=[*keys, "updated_at"],
                batch_size=1000,
            )
    counts.updated = len(existing)
    counts.created = len(seen) - len(existing)
    return counts


def derived_event_id(row: dict[str, Any]) -> str:
    """An event id for a record that came without one: the same row always gets the same id."""
    key = "|".join(
        str(row.get(name) or "")
        for name in ("customer_external_id", "kind", "occurred_at", "amount", "touchpoint")
    )
    return "row:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def record_behaviours(*, rows: Sequence[dict[str, Any]], now: datetime) -> WriteCounts:
    """Add behaviour records; a record whose ``event_id`` exists already is skipped.

    Each row: ``customer_external_id``, ``kind`` (a BehaviourKind code), ``occurred_at``, optional
    ``amount`` (yen, ≥ 0), ``touchpoint``, ``event_id`` (derived from the row when missing),
    ``attributes``.
    """
    counts = WriteCounts()
    if not rows:
        return counts
    rows = [{**row, "event_id": row.get("event_id") or derived_event_id(row)} for row in rows]
    external_ids = {row["customer_external_id"] for row in rows}
    customers = dict(
        Customer.objects.filter(external_id__in=external_ids).values_list("external_id", "id")
    )
    unknown = sorted(external_ids - customers.keys())
    kinds = set(BehaviourKind.objects.values_list("code", flat=True))
    bad_kinds = sorted({row["kind"] for row in rows} - kinds)
    if unknown or bad_kinds:
        fields = {}
        if unknown:
            fields["customer_external_id"] = [
                _("Unknown customer ID “%(id)s”.") % {"id": value} for value in unknown[:50]
            ]
        if bad_kinds:
            fields["kind"] = [
                _("Unknown behaviour kind “%(kind)s”.") % {"kind": value} for value in bad_kinds
            ]
        raise InvalidInput(_("Some records refer to unknown customers or kinds."), fields=fields)
    for row in rows:
        if row.get("amount") is not None and row["amount"] < 0:
            raise InvalidInput(
                _("An amount cannot be negative."), fields={"amount": [str(row["amount"])]}
            )
    event_ids = [row["event_id"] for row in rows]
    with transaction.atomic():
        existing = set(
            BehaviourRecord.objects.filter(event_id__in=event_ids).values_list(
                "event_id", flat=True
            )
        )
        fresh: dict[str, BehaviourRecord] = {}
        for row in rows:
            if row["event_id"] in existing or row["event_id"] in fresh:
                counts.skipped += 1
                continue
            fresh[row["event_id"]] = BehaviourRecord(
                customer_id=customers[row["customer_external_id"]],
                kind_id=row["kind"],
                occurred_at=row["occurred_at"],
                amount=row.get("amount"),
                touchpoint=row.get("touchpoint") or "",
                event_id=row["event_id"],
                attributes=row.get("attributes") or {},
                created_at=now,
                updated_at=now,
            )
        BehaviourRecord.objects.bulk_create(fresh.values(), batch_size=1000, ignore_conflicts=True)
    counts.created = len(fresh)
    return counts


def forget_customer(*, customer: Customer, now: datetime) -> Customer:
    """Erase a customer's personal data and what links the record to the person (APPI/GDPR).

    Name, e-mail and attributes are cleared, the external id is replaced by an anonymous id,
    contact is stopped, and the behaviour records lose their source event ids and attributes.
    Scores, categories, behaviour kinds, dates and amounts stay, so anonymous aggregates (NPS,
    churn, spend, behaviour counts) do not change. Receivers of ``customer_forgotten`` erase the
    free text of the customer's survey answers and feedback. Doing it twice changes nothing more.
    """
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.forgotten_at is None:
            customer.external_id = f"{FORGOTTEN_PREFIX}{uuid.uuid4().hex}"
            customer.forgotten_at = now
        customer.name = ""
        customer.email = ""
        customer.attributes = {}
        customer.contact_allowed = False
        customer.unsubscribed_at = customer.unsubscribed_at or now
        customer.save()
        BehaviourRecord.objects.filter(customer=customer).update(
            event_id=None, attributes={}, updated_at=now
        )
        customer_forgotten.send(sender=Customer, customer=customer, now=now)
    return customer


def start_import(
    *,
    kind: str,
    upload: UploadedFile,
    skip_invalid: bool = False,
    user: Any = None,
    now: datetime,
) -> ImportJob:
    """Store an uploaded CSV and import it in the background (task ``engagement.run_import``)."""
    if kind not in ImportKind.values:
        raise InvalidInput(_("Unknown import kind."))
    if not upload or not upload.size:
        raise InvalidInput(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            original_name=(upload.name or "")[:255],
            skip_invalid=skip_invalid,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        suffix = ".xlsx" if is_xlsx(upload) else ".csv"
        job.file.save(f"{uuid.uuid4().hex}{suffix}", upload, save=False)
        job.save()
        outbox.enqueue(
            task_name="engagement.run_import",
            kwargs={"job_id": job.id},
            dedup_key=f"import-{job.id}",
        )
    return job


def forget_customers(*, customers: Iterable[Customer], now: datetime) -> int:
    count = 0
    for customer in customers:
        forget_customer(customer=customer, now=now)
        count += 1
    return count


def ensure_builtin_behaviour_kinds() -> int:
    """Create the built-in behaviour kinds that are missing (migration 0002 creates them; a
    flushed database, e.g. after a transactional test, may not have them). Returns how many."""
    created = 0
    for code, label in BuiltinBehaviour.choices:
        _kind, was_created = BehaviourKind.objects.get_or_create(
            code=code, defaults={"name": str(label), "is_builtin": True}
        )
        created += was_created
    return created
