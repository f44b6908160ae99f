"""Writes of the engagement core: customers, behaviour records, personal-data erasure, imports.

Views, the API, admin actions, commands and tasks all call these functions.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
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
    LineLinkCode,
)
from engagement.integrations import services as integrations
from engagement.platform import outbox
from engagement.platform.csvfiles import is_xlsx
from engagement.platform.erasure import clean_traces, contains_trace, scrub_rows
from engagement.platform.errors import DomainError, InvalidInput

# Sent inside forget_customer's transaction, before anything is erased (kwargs: customer):
# each receiver returns the customer's free texts it holds (answers, feedback, replies), so that
# copies of them elsewhere (report snapshots, notes, alerts) can be found and erased too.
customer_traces = Signal()
# Sent inside forget_customer's transaction (kwargs: customer, now, traces) so that upper layers
# (survey answers, feedback text, triage, reports) erase what they hold about the customer;
# ``traces`` are the strings that identify the customer (engagement.platform.erasure).
customer_forgotten = Signal()

CUSTOMER_FIELDS = (
    "segment",
    "attributes",
    "signed_up_on",
    "name",
    "email",
    "contact_allowed",
    "phone",
    "sms_allowed",
)
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
        traces = _traces_of(customer)
        if customer.forgotten_at is None:
            customer.external_id = f"{FORGOTTEN_PREFIX}{uuid.uuid4().hex}"
            customer.forgotten_at = now
        customer.name = ""
        customer.email = ""
        customer.phone = ""
        customer.line_user_id = ""
        customer.attributes = {}
        customer.contact_allowed = False
        customer.unsubscribed_at = customer.unsubscribed_at or now
        customer.save()
        BehaviourRecord.objects.filter(customer=customer).update(
            event_id=None, attributes={}, updated_at=now
        )
        LineLinkCode.objects.filter(customer=customer).delete()
        _erase_platform_traces(traces)
        customer_forgotten.send(sender=Customer, customer=customer, now=now, traces=traces)
    return customer


def _traces_of(customer: Customer) -> list[str]:
    """Name, e-mail, customer ID, attribute values, and the free texts the
    upper layers hold about the customer. Empty once forgotten (the originals are gone)."""
    values: list[Any] = [customer.name, customer.email]
    if customer.forgotten_at is None:
        values.append(customer.external_id)
    # The full name as written, without the space and with a full-width one (single parts
    # are not searched: a common family name would erase other customers' data too).
    parts = [part for part in re.split(r"[\s　・]+", customer.name or "") if part]
    if len(parts) > 1:
        values += ["".join(parts), " ".join(parts), "　".join(parts)]
    values += [
        value
        for key, value in (customer.attributes or {}).items()
        if isinstance(value, str) and _identifies(str(key), value)
    ]
    for _receiver, texts in customer_traces.send(sender=Customer, customer=customer):
        # Short texts ("特になし") identify nobody and would erase other customers' words.
        values += [text for text in texts or [] if len(text.strip()) >= MIN_TEXT_TRACE]
    return clean_traces(values)


MIN_TEXT_TRACE = 10
_IDENTIFYING_KEYS = re.compile(
    r"phone|tel|mobile|mail|address|name|birth|電話|携帯|住所|氏名|名前|メール|生年月日", re.I
)


def _identifies(key: str, value: str) -> bool:
    """An attribute value that points at the person (a phone number, an address, a name…),
    not a shared category ("gold", "東京都") that would erase other customers' data too."""
    from engagement.platform.masking import EMAIL_RE, PHONE_RE

    value = value.strip()
    return bool(PHONE_RE.search(value) or EMAIL_RE.search(value) or _IDENTIFYING_KEYS.search(key))


def _erase_platform_traces(traces: list[str]) -> None:
    """What the platform and this app keep besides the customer row: imported files and their
    errors, queued task arguments, the admin's change history."""
    from django.contrib.admin.models import LogEntry

    from engagement.platform.models import OutboxMessage

    scrub_rows(OutboxMessage.objects.all(), json_fields=["kwargs"], traces=traces)
    integrations.erase_traces(traces=traces)
    scrub_rows(OutboxMessage.objects.all(), text_fields=["last_error"], traces=traces)
    scrub_rows(LogEntry.objects.all(), text_fields=["object_repr", "change_message"], traces=traces)
    scrub_rows(ImportJob.objects.all(), json_fields=["errors"], traces=traces)
    scrub_rows(ImportJob.objects.all(), text_fields=["message", "original_name"], traces=traces)
    for job in ImportJob.objects.exclude(file="").order_by("id"):
        _erase_rows_of_file(job, traces)


def _erase_rows_of_file(job: ImportJob, traces: list[str]) -> None:
    """Drop the lines of a kept import file that mention the customer (same encoding)."""
    from engagement.platform.csvfiles import detect_encoding

    try:
        with job.file.open("rb") as handle:
            raw = handle.read()
        encoding = detect_encoding(raw)
    except (OSError, DomainError):
        return  # gone, or not text: nothing of the customer's to find in it
    lines = raw.decode(encoding).splitlines(keepends=True)
    kept = [line for line in lines if not contains_trace(line, traces)]
    if len(kept) == len(lines):
        return
    data = "".join(kept).encode(encoding)
    name = job.file.name
    storage = job.file.storage
    storage.delete(name)
    storage.save(name, ContentFile(data))


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


# --- messaging channels: LINE link codes and opt-outs -----------------------------------------

LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
LINK_CODE_LENGTH = 8
LINK_CODE_DAYS = 7


def _link_digest(code: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"line-link:{code}".encode(), hashlib.sha256
    ).hexdigest()


def normalise_link_code(text: str) -> str:
    """What a customer typed, as a code: full-width to half-width, no spaces or hyphens."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(r"[\s\-]", "", text)


@transaction.atomic
def issue_line_link_code(*, customer: Customer, now: datetime) -> str:
    """A one-time code (valid ``LINK_CODE_DAYS`` days) the customer sends to our LINE account
    to link their LINE user to this customer. Only its HMAC is stored."""
    if customer.forgotten_at:
        raise InvalidInput(_("This customer's personal data was erased."))
    code = "".join(secrets.choice(LINK_CODE_ALPHABET) for _i in range(LINK_CODE_LENGTH))
    LineLinkCode.objects.create(
        customer=customer,
        digest=_link_digest(code),
        expires_at=now + timedelta(days=LINK_CODE_DAYS),
    )
    return code


@transaction.atomic
def link_line_user(*, code: str, line_user_id: str, now: datetime) -> Customer | None:
    """Link ``line_user_id`` to the customer of a valid, unused code (the code is used up);
    None when the code is unknown, used or expired. A LINE user belongs to one customer: a
    previous link of the same user is removed."""
    code = normalise_link_code(code)
    if len(code) != LINK_CODE_LENGTH:
        return None
    row = (
        LineLinkCode.objects.select_for_update()
        .select_related("customer")
        .filter(digest=_link_digest(code), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if row is None or row.customer.forgotten_at:
        return None
    LineLinkCode.objects.filter(id=row.id).update(used_at=now, updated_at=now)
    Customer.objects.filter(line_user_id=line_user_id).exclude(id=row.customer_id).update(
        line_user_id="", updated_at=now
    )
    Customer.objects.filter(id=row.customer_id).update(
        line_user_id=line_user_id, line_blocked_at=None, updated_at=now
    )
    row.customer.refresh_from_db()
    return row.customer


def record_line_follow(*, line_user_id: str, blocked: bool, now: datetime) -> int:
    """Unfollow (blocked) stops LINE messages to the customer; following again allows them
    again. A survey opt-out (unsubscribe) is kept either way. Returns customers changed."""
    rows = Customer.objects.filter(line_user_id=line_user_id)
    if blocked:
        return rows.filter(line_blocked_at__isnull=True).update(line_blocked_at=now, updated_at=now)
    return rows.filter(line_blocked_at__isnull=False).update(line_blocked_at=None, updated_at=now)


def record_sms_opt_out(*, phone: str, now: datetime) -> int:
    """The customers with this number get no more SMS (the reply "STOP" / 「停止」)."""
    return Customer.objects.filter(phone=phone, sms_opted_out_at__isnull=True).update(
        sms_opted_out_at=now, updated_at=now
    )
