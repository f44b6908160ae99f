"""The outbox: work is recorded first, sent after commit, re-sent by the sweeper, done once."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.db import transaction

from engagement.platform import outbox
from engagement.platform.models import OutboxMessage, OutboxState
from tests.brokers import CLOSED_BROKER, black_hole, broker_at
from tests.engagement import probe_tasks


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    probe_tasks.EAGER_CALLS.clear()


# --- in-process (no broker configured: tasks run eagerly) -------------------------------------


@pytest.mark.django_db(transaction=True)
def test_task_runs_only_after_commit_and_is_marked_done():
    with transaction.atomic():
        message = outbox.enqueue(task_name="tests.count_call", kwargs={"key": "a"})
        assert probe_tasks.EAGER_CALLS == []  # nothing runs inside the transaction
    assert probe_tasks.EAGER_CALLS == ["a"]
    message.refresh_from_db()
    assert message.state == OutboxState.DONE
    assert message.done_at is not None


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_sends_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(task_name="tests.count_call", kwargs={"key": "b"})
        raise RuntimeError("rollback")
    assert probe_tasks.EAGER_CALLS == []
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_dedup_key_adds_no_second_message_while_the_first_is_open():
    with transaction.atomic():
        first = outbox.enqueue(task_name="tests.count_call", kwargs={"key": "c"}, dedup_key="k1")
        second = outbox.enqueue(task_name="tests.count_call", kwargs={"key": "c"}, dedup_key="k1")
    assert first.id == second.id
    assert OutboxMessage.objects.count() == 1
    assert probe_tasks.EAGER_CALLS == ["c"]


@pytest.mark.django_db(transaction=True)
def test_a_done_message_delivered_again_does_nothing():
    with transaction.atomic():
        message = outbox.enqueue(task_name="tests.count_call", kwargs={"key": "d"})
    assert outbox.send(message_id=message.id) is False  # already done: not even sent
    probe_tasks.count_call.apply(kwargs={"key": "d", outbox.OUTBOX_KWARG: message.id})
    assert probe_tasks.EAGER_CALLS == ["d"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_recorded_with_its_error_and_the_request_survives():
    with transaction.atomic():
        message = outbox.enqueue(task_name="tests.fail_always", kwargs={"key": "e"})
    message.refresh_from_db()
    assert message.state == OutboxState.FAILED  # a bug, not an outage: not re-sent blindly
    assert "broken input e" in message.last_error
    assert outbox.sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_unknown_task_name_stays_pending_for_the_sweeper():
    with transaction.atomic():
        message = outbox.enqueue(task_name="tests.not_registered", kwargs={})
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING
    assert message.attempts == 1
    assert "not_registered" in message.last_error


# --- real broker and worker -------------------------------------------------------------------


def counter(key: str) -> int:
    return int(redis.Redis.from_url(settings.CELERY_BROKER_URL).get(key) or 0)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_task_once_even_when_delivered_twice(celery_worker_process, wait):
    key = f"outbox-{uuid.uuid4().hex}"
    with transaction.atomic():
        message = outbox.enqueue(task_name="tests.count_call", kwargs={"key": key})
    wait(lambda: OutboxMessage.objects.get(id=message.id).state == OutboxState.DONE, timeout=60)
    assert counter(key) == 1
    # A duplicate delivery (e.g. a re-send after a lost acknowledgement) does no more work.
    probe_tasks.count_call.apply_async(kwargs={"key": key, outbox.OUTBOX_KWARG: message.id})
    probe_tasks.count_call.apply_async(kwargs={"key": key + "-marker"})
    wait(lambda: counter(key + "-marker") == 1)
    assert counter(key) == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_broker_down_delays_the_work_but_loses_none(celery_worker_process, wait):
    key = f"outbox-{uuid.uuid4().hex}"
    with broker_at(CLOSED_BROKER):
        with transaction.atomic():
            message = outbox.enqueue(task_name="tests.count_call", kwargs={"key": key})
        message.refresh_from_db()
        assert message.state == OutboxState.PENDING
        assert message.last_error
        assert outbox.sweep() == 0  # still down: still pending, nothing lost
    assert OutboxMessage.objects.get(id=message.id).state == OutboxState.PENDING
    # The broker is back: the periodic sweeper sends it, the worker runs it once.
    assert outbox.sweep() == 1, OutboxMessage.objects.get(id=message.id).last_error
    wait(lambda: OutboxMessage.objects.get(id=message.id).state == OutboxState.DONE)
    assert counter(key) == 1
    assert outbox.sweep() == 0
    time.sleep(1)
    assert counter(key) == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_black_holed_broker_does_not_hang_the_request(celery_worker_process):
    key = f"outbox-{uuid.uuid4().hex}"
    with black_hole() as port, broker_at(f"redis://127.0.0.1:{port}/0"):
        done = threading.Event()
        result: dict[str, int] = {}

        def request() -> None:
            with transaction.atomic():
                result["id"] = outbox.enqueue(task_name="tests.count_call", kwargs={"key": key}).id
            done.set()

        thread = threading.Thread(target=request)
        thread.start()
        # The broker socket timeouts are 2 s; a request must come back well within a minute.
        assert done.wait(60), "enqueue hung on an unresponsive broker"
        thread.join()
    message = OutboxMessage.objects.get(id=result["id"])
    assert message.state == OutboxState.PENDING


@pytest.mark.django_db(transaction=True)
def test_messages_of_one_transaction_are_sent_together_after_commit(monkeypatch):
    """An import enqueues hundreds of messages: after its commit they are read and marked sent
    in one batch, not with a read and a committed update each; one enqueued in a savepoint that
    was rolled back is not among them."""
    batches: list[list[int]] = []
    send_many = outbox.send_many

    def spy(*, message_ids: list[int]) -> int:
        batches.append(list(message_ids))
        return send_many(message_ids=message_ids)

    monkeypatch.setattr(outbox, "send_many", spy)
    monkeypatch.setattr(outbox, "send", None)  # the one-message path is not taken
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox.enqueue(task_name="tests.count_call", kwargs={"key": "rolled back"})
            raise RuntimeError("savepoint rolled back")
        messages = [
            outbox.enqueue(task_name="tests.count_call", kwargs={"key": key})
            for key in ("x", "y", "z")
        ]
        assert probe_tasks.EAGER_CALLS == []
    assert probe_tasks.EAGER_CALLS == ["x", "y", "z"]
    assert len(batches) == 1
    assert set(batches[0]) >= {message.id for message in messages}
    assert list(OutboxMessage.objects.values_list("state", flat=True)) == [OutboxState.DONE] * 3
