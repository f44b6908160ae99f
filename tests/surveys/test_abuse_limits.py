"""Abuse limits on the customer pages: per-client and per-link limits on public links that hold
without Redis (database counters, fail closed), a honeypot field, a minimum time on page."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

from engagement.platform import ratelimits
from engagement.platform.models import RateCounter
from surveys import services
from surveys.models import Response
from surveys.ratelimits import page_stamp

pytestmark = pytest.mark.django_db

REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def first_page(client: Client, url: str, **extra):
    return client.post(url, {"page": "1", "action": "next", "q-nps": "9"}, **extra)


def rapid_public_submissions(survey, *, count: int, addresses: list[str]) -> list[int]:
    """``count`` new answers through the public link, each from a fresh browser session."""
    url = f"/p/{services.enable_public_link(survey=survey)}/"
    codes = []
    for i in range(count):
        codes.append(
            first_page(Client(), url, REMOTE_ADDR=addresses[i % len(addresses)]).status_code
        )
    return codes


def test_one_client_cannot_start_100_answers_through_a_public_link(survey):
    """The finding: 100 of 100 rapid submissions from one client were taken."""
    codes = rapid_public_submissions(survey, count=100, addresses=["198.51.100.7"])
    assert codes.count(303) == 10  # SURVEYS_PUBLIC_START_LIMITS["client"] = 10/h
    assert codes.count(429) == 90
    assert Response.objects.filter(survey=survey).count() == 10


@override_settings(SURVEYS_PUBLIC_START_LIMITS={"client": "1000/h", "link": "25/h"})
def test_a_link_takes_a_bounded_number_of_new_answers_from_all_clients(survey):
    addresses = [f"203.0.113.{i}" for i in range(1, 60)]
    codes = rapid_public_submissions(survey, count=40, addresses=addresses)
    assert codes.count(303) == 25 and codes.count(429) == 15


@override_settings(CACHES=REDIS_DOWN, SURVEYS_PUBLIC_START_LIMITS={"client": "3/h", "link": "99/h"})
def test_limits_hold_without_redis_by_counting_in_the_database(survey, caplog):
    """The finding: without Redis the limit failed open."""
    started = time.monotonic()
    codes = rapid_public_submissions(survey, count=8, addresses=["198.51.100.8"])
    elapsed = time.monotonic() - started
    assert codes == [303, 303, 303, 429, 429, 429, 429, 429]
    assert "counting in the database" in caplog.text
    assert RateCounter.objects.exists()
    # One cache timeout per process, not one per request.
    assert caplog.text.count("rate-limit cache unavailable") == 1
    assert elapsed < 8


@override_settings(CACHES=REDIS_DOWN)
def test_a_limiter_that_cannot_count_at_all_fails_closed(rf, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(ratelimits, "count_in_database", broken)
    request = rf.get("/p/x/", REMOTE_ADDR="192.0.2.1")
    assert ratelimits.hit(request, group="g", key=lambda g, r: "k", rate="100/m") is True


def test_database_counters_count_per_window_and_are_pruned():
    now = 1_800_000_000.0
    counts = [
        ratelimits.count_in_database(group="g", value="v", rate="2/m", now=now) for _ in range(3)
    ]
    assert counts == [1, 2, 3]
    assert ratelimits.count_in_database(group="g", value="v", rate="2/m", now=now + 60) == 1
    assert RateCounter.objects.count() == 1  # the older window of the key was removed
    assert "v" not in RateCounter.objects.get().key  # a digest, no client address stored
    from datetime import UTC, datetime

    assert ratelimits.prune_counters(now=datetime.fromtimestamp(now + 3600, tz=UTC)) == 1


def test_parse_rate():
    assert ratelimits.parse_rate("30/m") == (30, 60)
    assert ratelimits.parse_rate("10/h") == (10, 3600)
    assert ratelimits.parse_rate("5/10m") == (5, 600)


def test_a_filled_honeypot_is_refused_politely_and_nothing_is_saved(client, invitation_token):
    invitation, token = invitation_token
    r = client.post(
        f"/s/{token}/", {"page": "1", "action": "next", "q-nps": "9", "website": "http://spam"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert "ご回答を送信できませんでした" in html and "お手数ですが" in html
    assert not Response.objects.filter(invitation=invitation).exists()


def test_the_honeypot_field_is_on_the_page_but_hidden(client, invitation_token):
    _, token = invitation_token
    html = client.get(f"/s/{token}/").content.decode()
    assert 'name="website"' in html and 'aria-hidden="true"' in html and 'tabindex="-1"' in html
    assert 'name="rendered"' in html


@override_settings(SURVEYS_MIN_SECONDS_ON_PAGE=2)
def test_a_page_posted_sooner_than_the_minimum_time_is_shown_again(client, invitation_token):
    invitation, token = invitation_token
    url = f"/s/{token}/"
    data = {"page": "1", "action": "next", "q-nps": "9"}
    too_soon = client.post(url, {**data, "rendered": page_stamp()})
    assert too_soon.status_code == 200
    html = too_soon.content.decode()
    assert "もう一度ボタンを押してください" in html
    assert 'value="9" checked' in html  # the answer is kept on the page
    assert not Response.objects.filter(invitation=invitation).exists()
    no_stamp = client.post(url, data)
    assert no_stamp.status_code == 200 and not Response.objects.exists()
    forged = client.post(url, {**data, "rendered": "1.0:forged"})
    assert forged.status_code == 200 and not Response.objects.exists()
    later = client.post(url, {**data, "rendered": page_stamp(now=time.time() - 3)})
    assert later.status_code == 303
    assert Response.objects.get(invitation=invitation).current_page == 2
