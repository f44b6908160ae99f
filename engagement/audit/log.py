"""Writing the audit log: ``record(request, action=..., obj=...)`` is the one call other apps use.

During a request, ``record`` only appends to a list on the request; ``AuditMiddleware`` writes
the whole list at the end in one transaction (one lock of the chain head, one bulk insert), so a
page pays a few milliseconds however many objects it records. Outside a request (commands,
tasks) ``record`` writes at once. Each entry carries the SHA-256 of the previous entry's hash and
its own content: an entry changed or removed in the database breaks ``verify_chain``.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from engagement.audit.models import AuditAction, AuditChainHead, AuditEntry, entry_digest
from engagement.platform.clientip import client_ip

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "audit_request", default=None
)
_BUFFER = "_audit_entries"


def current_request() -> HttpRequest | None:
    return _current_request.get()


def bind_request(request: HttpRequest | None) -> contextvars.Token:
    return _current_request.set(request)


def unbind_request(token: contextvars.Token) -> None:
    _current_request.reset(token)


def _customer_id_of(obj: Model | None) -> int | None:
    if obj is None:
        return None
    meta = obj._meta
    if meta.app_label == "engagement" and meta.model_name == "customer":
        return obj.pk
    customer_id = getattr(obj, "customer_id", None)
    return customer_id if isinstance(customer_id, int) else None


def build_entry(
    request: HttpRequest | None,
    *,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    customer_id: int | None = None,
    detail: dict[str, Any] | None = None,
    actor: Any = None,
    at: datetime | None = None,
) -> AuditEntry:
    """An unsaved entry: who from the request (or ``actor``), from where, what object."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEntry(
        at=at or timezone.now(),
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username()[:150] if authenticated else "",
        ip=(client_ip(request) or None) if request is not None else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:100],
        object_repr=object_repr[:200],
        customer_id=customer_id if customer_id is not None else _customer_id_of(obj),
        path=(request.get_full_path()[:500] if request is not None else ""),
        # Plain JSON from the start, so the hash is over what the database will hold.
        detail=json.loads(json.dumps(detail or {}, cls=DjangoJSONEncoder)),
    )


def record(
    request: HttpRequest | None = None,
    *,
    action: AuditAction | str,
    obj: Model | None = None,
    **fields: Any,
) -> AuditEntry:
    """Record one event; batched to the end of the request when there is one."""
    request = request if request is not None else current_request()
    entry = build_entry(request, action=str(action), obj=obj, **fields)
    if request is not None and hasattr(request, _BUFFER):
        getattr(request, _BUFFER).append(entry)
    else:
        write_entries([entry])
    return entry


def start_buffer(request: HttpRequest) -> None:
    setattr(request, _BUFFER, [])


def flush(request: HttpRequest) -> int:
    entries: list[AuditEntry] = getattr(request, _BUFFER, [])
    setattr(request, _BUFFER, [])
    if entries:
        write_entries(entries)
    return len(entries)


def write_entries(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Append entries to the chain: one locked read of the head, one bulk insert, one update."""
    batch = list(entries)
    if not batch:
        return batch
    with transaction.atomic():
        if settings.AUDIT_ASYNC_COMMIT and connection.vendor == "postgresql":
            # The commit does not wait for the disk (~7 ms on a busy disk → ~1 ms): after a
            # database crash the last fraction of a second of entries may be missing, never
            # half-written or out of chain. AUDIT_ASYNC_COMMIT=0 waits like any other write.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        head = _locked_head()
        last = head.last_hash
        for entry in batch:
            entry.prev_hash = last
            entry.hash = entry_digest(last, entry.chained_fields())
            last = entry.hash
        AuditEntry.objects.bulk_create(batch)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_hash=last, entries=head.entries + len(batch)
        )
    return batch


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _created = AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


def verify_chain(*, batch_size: int = 5000) -> list[ChainProblem]:
    """Every entry whose hash or link does not match; the oldest remaining entry is trusted
    as the start (the retention run removes the oldest ones)."""
    problems: list[ChainProblem] = []
    previous: str | None = None
    for entry in _in_chain_order(batch_size):
        if previous is not None and entry.prev_hash != previous:
            problems.append(ChainProblem(entry.pk, "link"))
        if entry_digest(entry.prev_hash, entry.chained_fields()) != entry.hash:
            problems.append(ChainProblem(entry.pk, "content"))
        previous = entry.hash
    return problems


def _in_chain_order(batch_size: int) -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size)


def database_guard_enabled() -> bool:
    return connection.vendor == "postgresql"
