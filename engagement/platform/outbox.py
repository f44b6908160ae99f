"""The task outbox: work is recorded in the database first, then sent to the broker.

``enqueue()`` writes an ``OutboxMessage`` inside the caller's transaction and sends it to Celery
after the transaction commits. If the broker is down (or not answering), the send fails fast,
the message stays pending, and the ``engagement.sweep_outbox`` beat task sends it later: a broker
outage delays work but loses none. Tasks run through ``OutboxTask``, which skips a message that
is already done, so a message delivered twice does its work once.

Long tasks hold a lease: when a delivery starts it claims the message for
``OUTBOX_LEASE_SECONDS`` and a heartbeat thread renews the claim every third of that while the
task runs. The sweep re-sends a sent message only when it is older than
``OUTBOX_RESEND_AFTER_SECONDS`` *and* its lease has run out (the worker died or was killed);
a second delivery that arrives while the first still beats is dropped, one that arrives after
it finished finds the message done. Handlers are idempotent besides, so a task cut short and
run again completes its work exactly once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from celery import Task, current_app
from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from engagement.platform.models import OutboxMessage, OutboxState

logger = logging.getLogger(__name__)

OUTBOX_KWARG = "outbox_id"


def enqueue(
    *, task_name: str, kwargs: dict[str, Any], dedup_key: str | None = None
) -> OutboxMessage:
    """Record ``task_name(**kwargs)`` to run after the current transaction commits.

    With ``dedup_key``, a message with the same key that is not done yet is returned instead of
    adding a second one.
    """
    if dedup_key:
        existing = (
            OutboxMessage.objects.filter(dedup_key=dedup_key)
            .exclude(state=OutboxState.DONE)
            .first()
        )
        if existing:
            return existing
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                task_name=task_name, kwargs=kwargs, dedup_key=dedup_key
            )
    except IntegrityError:
        # A concurrent transaction recorded the same key first.
        return OutboxMessage.objects.exclude(state=OutboxState.DONE).get(dedup_key=dedup_key)
    _after_commit(message.id)
    return message


def _pending() -> list[int]:
    """Ids of messages enqueued on this connection whose after-commit send has not run yet."""
    pending = getattr(connection, "outbox_pending", None)
    if pending is None:
        pending = connection.outbox_pending = []
    return pending


def _after_commit(message_id: int) -> None:
    """Send ``message_id`` after the commit, with every other message of the transaction.

    Each enqueue registers a callback (one registered in a savepoint that is rolled back is
    dropped by Django); the first to run sends all the pending ids at once (``send_many``: one
    read and one update for them all, not a read and a committed update each), the others
    find nothing left. Ids left from a transaction that rolled back are dropped.
    """
    pending = _pending()
    if not any(func is _send_pending for _sids, func, _robust in connection.run_on_commit):
        pending.clear()  # left from a transaction that rolled back: those rows do not exist
    pending.append(message_id)
    transaction.on_commit(_send_pending)


def _send_pending() -> None:
    pending = _pending()
    if not pending:
        return
    ids = list(pending)
    pending.clear()
    send_many(message_ids=ids)


_tasks_imported = False


def _task(name: str) -> Task:
    """The registered task ``name``; every app's tasks module is imported on first use."""
    global _tasks_imported
    app = current_app  # the project's app (engagement.celery), set as current when created
    if not _tasks_imported:
        app.loader.import_default_modules()
        _tasks_imported = True
    return app.tasks[name]


def task_registered(name: str) -> bool:
    """Whether a task of that name exists in this deployment (every app's tasks loaded)."""
    try:
        _task(name)
    except KeyError:
        return False
    return True


def send(*, message_id: int) -> bool:
    """Hand one message to Celery. Never raises: a failure leaves it pending for the sweeper."""
    message = OutboxMessage.objects.filter(id=message_id).first()
    if message is None or message.state == OutboxState.DONE:
        return False
    now = timezone.now()
    OutboxMessage.objects.filter(id=message_id).exclude(state=OutboxState.DONE).update(
        state=OutboxState.SENT, sent_at=now, attempts=message.attempts + 1, updated_at=now
    )
    try:
        _task(message.task_name).apply_async(kwargs={**message.kwargs, OUTBOX_KWARG: message.id})
    except Exception as exc:  # the broker is down, not answering, or the task failed eagerly
        logger.warning("outbox message %s not sent: %s", message_id, exc.__class__.__name__)
        OutboxMessage.objects.filter(id=message_id, state=OutboxState.SENT).update(
            state=OutboxState.PENDING, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        return False
    return True


def send_many(*, message_ids: list[int]) -> int:
    """``send`` for several messages: one read and one update to sent for them all, then each is
    handed to Celery in id order (one that fails goes back to pending for the sweeper, as with
    ``send``). Never raises; returns how many were sent."""
    messages = list(
        OutboxMessage.objects.filter(id__in=message_ids)
        .exclude(state=OutboxState.DONE)
        .order_by("id")
        .values_list("id", "task_name", "kwargs")
    )
    if not messages:
        return 0
    now = timezone.now()
    OutboxMessage.objects.filter(id__in=[row[0] for row in messages]).exclude(
        state=OutboxState.DONE
    ).update(state=OutboxState.SENT, sent_at=now, attempts=F("attempts") + 1, updated_at=now)
    sent = 0
    for message_id, task_name, kwargs in messages:
        try:
            _task(task_name).apply_async(kwargs={**kwargs, OUTBOX_KWARG: message_id})
        except Exception as exc:  # the broker is down, not answering, or the task failed eagerly
            logger.warning("outbox message %s not sent: %s", message_id, exc.__class__.__name__)
            OutboxMessage.objects.filter(id=message_id, state=OutboxState.SENT).update(
                state=OutboxState.PENDING, last_error=f"{exc.__class__.__name__}: {exc}"[:2000]
            )
            continue
        sent += 1
    return sent


def sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send pending messages, and re-send sent ones that never finished. Returns how many."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS)
    ids = list(
        OutboxMessage.objects.filter(
            Q(state=OutboxState.PENDING)
            | (
                Q(state=OutboxState.SENT, sent_at__lt=stale)
                & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
            )
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for message_id in ids if send(message_id=message_id))


def claim_lease(*, message_id: int, owner: str, now: datetime | None = None) -> bool:
    """Take the lease of a message that is not done and not held by a live execution."""
    now = now or timezone.now()
    return bool(
        OutboxMessage.objects.filter(id=message_id)
        .exclude(state=OutboxState.DONE)
        .filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now) | Q(lease_owner=owner)
        )
        .update(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
            updated_at=now,
        )
    )


def renew_lease(*, message_id: int, owner: str) -> bool:
    now = timezone.now()
    return bool(
        OutboxMessage.objects.filter(id=message_id, lease_owner=owner)
        .exclude(state=OutboxState.DONE)
        .update(lease_expires_at=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS))
    )


def release_lease(*, message_id: int, owner: str) -> None:
    OutboxMessage.objects.filter(id=message_id, lease_owner=owner).update(
        lease_owner="", lease_expires_at=None
    )


class Heartbeat:
    """Renews a lease from a daemon thread (its own database connection) while a task runs."""

    def __init__(self, *, message_id: int, owner: str) -> None:
        self.message_id = message_id
        self.owner = owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"lease-{message_id}")

    def _run(self) -> None:
        interval = max(0.2, settings.OUTBOX_LEASE_SECONDS / 3)
        try:
            while not self._stop.wait(interval):
                try:
                    renew_lease(message_id=self.message_id, owner=self.owner)
                except Exception as exc:  # a lost beat only shortens the lease
                    logger.warning("lease of %s not renewed: %s", self.message_id, exc)
                    close_old_connections()
        finally:
            connection.close()

    def __enter__(self) -> Heartbeat:
        if not connection.in_atomic_block:  # tests in one transaction: nothing to beat for
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


def mark_done(*, message_id: int) -> None:
    now = timezone.now()
    OutboxMessage.objects.filter(id=message_id).update(
        state=OutboxState.DONE,
        done_at=now,
        last_error="",
        updated_at=now,
        lease_owner="",
        lease_expires_at=None,
    )


def mark_failed(*, message_id: int, error: str) -> None:
    OutboxMessage.objects.filter(id=message_id).exclude(state=OutboxState.DONE).update(
        state=OutboxState.FAILED, last_error=error[:2000], updated_at=timezone.now()
    )


class OutboxTask(Task):
    """Base class for tasks enqueued through the outbox: done once, whatever the deliveries."""

    # The outbox id travels as an extra keyword argument that __call__ removes before running.
    typing = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        message_id = kwargs.pop(OUTBOX_KWARG, None)
        if message_id is not None:
            state = OutboxMessage.objects.filter(id=message_id).values_list("state", flat=True)
            if state and state[0] == OutboxState.DONE:
                logger.info("outbox message %s already done; skipped", message_id)
                return None
            owner = uuid.uuid4().hex
            if state and not claim_lease(message_id=message_id, owner=owner):
                logger.info(
                    "outbox message %s is running elsewhere (live lease); skipped", message_id
                )
                return None
            heartbeat = Heartbeat(message_id=message_id, owner=owner)
        else:
            owner, heartbeat = "", None
        try:
            if heartbeat is None:
                result = super().__call__(*args, **kwargs)
            else:
                with heartbeat:
                    result = super().__call__(*args, **kwargs)
        except Exception as exc:
            from celery.exceptions import Retry

            if message_id is not None:
                if not isinstance(exc, Retry):
                    mark_failed(message_id=message_id, error=f"{exc.__class__.__name__}: {exc}")
                release_lease(message_id=message_id, owner=owner)
            raise
        if message_id is not None:
            mark_done(message_id=message_id)
        return result
