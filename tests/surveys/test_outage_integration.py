"""Redis black-holed (a local TCP server that accepts and never answers) for the cache AND the
broker: every survey submit still answers within 1 s, the answer is stored, the limits count in
the database, and the outbox sweep hands the work to a real worker once Redis is back: 0 lost,
0 duplicated. (Real PostgreSQL, Redis and Celery worker.)"""

from __future__ import annotations

import socket
import time

import pytest
from django.test import Client, override_settings

from engagement.platform import outbox
from engagement.platform.models import OutboxMessage, OutboxState, RateCounter
from surveys.models import Response, ResponseStatus
from tests.brokers import black_hole, broker_at
from voc.models import FeedbackItem

from .test_views import AWARENESS

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _port() -> int:
    for port in range(18140, 18160):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18140-18159")


def test_submit_with_redis_black_holed_is_under_a_second_and_nothing_is_lost(
    celery_worker_process, invitation_token, wait
):
    invitation, token = invitation_token
    url = f"/s/{token}/"
    pages = [
        {"page": "1", "action": "next", "q-nps": "3"},
        {"page": "2", "action": "next", "q-reason_detractor": "配送が遅くて困りました"},
        {"page": "3", "action": "next", **AWARENESS},
        {"page": "4", "action": "next", "q-touchpoint": "store"},
        {"page": "5", "action": "next", "q-csat": "2", "q-ideas": ""},
    ]
    timings = []
    client = Client()
    assert client.get(url).status_code == 200  # a warm server: the outage starts now
    with black_hole(_port()) as port:
        hung = f"redis://127.0.0.1:{port}/0"
        caches = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": hung,
                # The production timeouts (engagement/settings/base.py).
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        }
        with override_settings(CACHES=caches), broker_at(hung):
            for data in pages:
                started = time.monotonic()
                response = client.post(url, data)
                timings.append(time.monotonic() - started)
                assert response.status_code == 303, response.content[:300]
    print(f"\nsubmit timings with Redis black-holed (s): {[round(t, 3) for t in timings]}")
    assert max(timings) < 1.0, timings
    stored = Response.objects.get(invitation=invitation)
    assert stored.status == ResponseStatus.COMPLETED
    assert RateCounter.objects.exists()  # the limits were counted in the database
    message = OutboxMessage.objects.get(task_name="voc.ingest_response")
    assert message.state == OutboxState.PENDING
    # Redis is back: the sweep sends the work, the real worker does it once.
    assert outbox.sweep() >= 1
    wait(lambda: OutboxMessage.objects.get(id=message.id).state == OutboxState.DONE, timeout=60)
    assert FeedbackItem.objects.filter(response=stored).count() == 1
    outbox.sweep()
    time.sleep(1)
    assert FeedbackItem.objects.filter(response=stored).count() == 1
