"""Background work that runs once: leases with a heartbeat, and a worker killed mid-task.

The integration test starts a real ``celery worker`` (threads pool) on Redis with a short lease
and visibility timeout, sends a long stepwise task through the outbox, checks that the sweep
does not re-send it while it beats (although it is far past ``OUTBOX_RESEND_AFTER_SECONDS``),
kills the worker with SIGKILL in the middle, starts another, and checks the work completes
exactly once: every step's side effect once, one completion, the message done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from engagement.platform import outbox
from engagement.platform.models import OutboxMessage, OutboxState
from tests.conftest import ROOT, _database_url_for_worker, wait_until
from tests.engagement import probe_tasks  # registers tests.stepwise in this process too

LEASE = 3


@pytest.mark.django_db
def test_sweep_skips_a_message_with_a_live_lease(settings):
    settings.OUTBOX_RESEND_AFTER_SECONDS = 1
    settings.OUTBOX_LEASE_SECONDS = 60
    old = timezone.now() - timedelta(minutes=10)
    running = OutboxMessage.objects.create(task_name="tests.count_call", state=OutboxState.SENT)
    OutboxMessage.objects.filter(id=running.id).update(sent_at=old)
    assert outbox.claim_lease(message_id=running.id, owner="worker-1")
    # A second execution cannot take the lease while it is live; the owner can renew it.
    assert not outbox.claim_lease(message_id=running.id, owner="worker-2")
    assert outbox.renew_lease(message_id=running.id, owner="worker-1")
    ids = list(OutboxMessage.objects.filter(state=OutboxState.SENT).values_list("id", flat=True))
    assert ids == [running.id]
    sent: list[int] = []
    original = outbox.send
    try:
        outbox.send = lambda *, message_id: sent.append(message_id) or True  # type: ignore[assignment]
        assert outbox.sweep() == 0
        # The lease ran out (the worker died): the sweep re-sends it.
        OutboxMessage.objects.filter(id=running.id).update(lease_expires_at=old)
        assert outbox.sweep() == 1
    finally:
        outbox.send = original  # type: ignore[assignment]
    assert sent == [running.id]
    assert outbox.claim_lease(message_id=running.id, owner="worker-2")


def _start_worker(name: str, log_path: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "DJANGO_DEBUG": "1",
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "OUTBOX_RESEND_AFTER_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": "8",
    }
    env.pop("DATABASE_TEST_NAME", None)
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "engagement", "worker", "--pool=threads",
         "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle",
         "--include=tests.engagement.probe_tasks", "-Q", probe_tasks.STEPWISE_QUEUE, "-n", name],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for_worker(name: str, process: subprocess.Popen[bytes], log_path: Any) -> None:
    from engagement.celery import app

    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name.replace("%h", os.uname().nodename)], timeout=1):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("celery worker did not start:\n" + log_path.read_text()[-4000:])


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_completes_the_work_exactly_once(settings, tmp_path):
    from engagement.celery import app

    settings.OUTBOX_RESEND_AFTER_SECONDS = 1
    settings.OUTBOX_LEASE_SECONDS = LEASE
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key = f"lease-{uuid.uuid4().hex}"
    steps, step_seconds = 20, 0.5
    app.control.purge()
    log_path = tmp_path / "workers.log"
    first_name = f"lease1-{uuid.uuid4().hex[:6]}@%h"
    first = _start_worker(first_name, log_path)
    second = None
    try:
        _wait_for_worker(first_name, first, log_path)
        with transaction.atomic():
            message = outbox.enqueue(
                task_name="tests.stepwise",
                kwargs={"key": key, "steps": steps, "step_seconds": step_seconds},
            )
        wait_until(lambda: int(client.get(f"{key}:work") or 0) >= 3, timeout=30)
        # Far past OUTBOX_RESEND_AFTER_SECONDS, but the task beats: the sweep leaves it alone.
        time.sleep(LEASE + 0.5)
        assert outbox.sweep() == 0
        row = OutboxMessage.objects.get(id=message.id)
        assert row.state == OutboxState.SENT and row.lease_expires_at > timezone.now()
        assert int(client.get(f"{key}:starts")) == 1
        done_before_kill = int(client.get(f"{key}:work"))
        assert 0 < done_before_kill < steps
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        second_name = f"lease2-{uuid.uuid4().hex[:6]}@%h"
        second = _start_worker(second_name, log_path)
        _wait_for_worker(second_name, second, log_path)

        def finished() -> bool:
            outbox.sweep()  # what beat does every minute; here every poll
            return OutboxMessage.objects.get(id=message.id).state == OutboxState.DONE

        wait_until(finished, timeout=60, interval=0.5)
        time.sleep(LEASE + 1)  # a late redelivery (visibility timeout) must change nothing
        outbox.sweep()
        assert int(client.get(f"{key}:work")) == steps
        assert int(client.get(f"{key}:completions")) == 1
        assert int(client.get(f"{key}:starts")) >= 2
        row = OutboxMessage.objects.get(id=message.id)
        assert row.state == OutboxState.DONE and row.lease_expires_at is None
        print(
            f"killed after {done_before_kill}/{steps} steps; starts="
            f"{int(client.get(f'{key}:starts'))} work={steps} completions=1"
        )
    except BaseException:
        sys.stderr.write(log_path.read_text()[-6000:])
        raise
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        client.delete(*client.keys(f"{key}*") or [key])


@pytest.mark.django_db
def test_the_daily_analysis_goes_through_the_outbox_once(settings):
    from engagement.platform.tasks import enqueue_periodic

    entry = settings.CELERY_BEAT_SCHEDULE["voc-run-analysis"]
    assert entry["task"] == "engagement.enqueue_periodic"
    OutboxMessage.objects.create(
        task_name="voc.run_analysis", dedup_key="voc-run-analysis", state=OutboxState.SENT
    )  # an on-demand run still open
    assert enqueue_periodic(**entry["kwargs"]) == OutboxMessage.objects.get().id
    assert OutboxMessage.objects.count() == 1
