"""Fixed-window rate limits that hold without Redis.

``hit(request, group=…, key=…, rate="30/m")`` counts one hit and says whether the limit is
exceeded. The count lives in the cache (Redis, through django-ratelimit) when it answers; when
the cache raises or times out (0.5 s socket timeouts), the limiter stops asking it for
``CACHE_RETRY_AFTER`` seconds (so an outage costs one timeout per process, not one per request)
and counts in the database instead (``RateCounter``, one row per key and window, the key stored
as a digest). If the database cannot count either, the limit **fails closed** (the request is
refused): a limit that silently stops limiting is what an attacker waits for.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_ratelimit.core import is_ratelimited

from engagement.platform.models import RateCounter

logger = logging.getLogger(__name__)

CACHE_RETRY_AFTER = 30.0
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

_cache_down_until = 0.0
_lock = threading.Lock()


def parse_rate(rate: str) -> tuple[int, int]:
    """``"30/m"`` → (30, 60); ``"10/5m"`` → (10, 300)."""
    count, _, period = rate.partition("/")
    digits = "".join(ch for ch in period if ch.isdigit()) or "1"
    unit = period[len(digits) :] if period[:1].isdigit() else period
    return int(count), int(digits) * PERIODS[unit[:1]]


def cache_available() -> bool:
    return time.monotonic() >= _cache_down_until


def _mark_cache_down(exc: Exception) -> None:
    global _cache_down_until
    with _lock:
        if cache_available():
            logger.warning(
                "rate-limit cache unavailable (%s); counting in the database for %.0f s",
                exc.__class__.__name__,
                CACHE_RETRY_AFTER,
            )
        _cache_down_until = time.monotonic() + CACHE_RETRY_AFTER


def reset_cache_state() -> None:
    """Forget an earlier cache failure (tests; a process that knows Redis is back)."""
    global _cache_down_until
    _cache_down_until = 0.0


def _digest(group: str, value: str) -> str:
    return hashlib.blake2b(f"{group}\0{value}".encode(), digest_size=32).hexdigest()


def count_in_database(*, group: str, value: str, rate: str, now: float | None = None) -> int:
    """Count one hit in the database; returns the count in the current window."""
    _limit, period = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now) // period * period
    key = _digest(group, value)
    expires = datetime.fromtimestamp(window + period, tz=UTC)
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window=window, count=1, expires_at=expires)
            except IntegrityError:  # another request created the row first
                RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
            else:
                RateCounter.objects.filter(key=key, window__lt=window).delete()
        return RateCounter.objects.filter(key=key, window=window).values_list("count", flat=True)[0]


def hit(
    request: HttpRequest,
    *,
    group: str,
    key: Callable[[str, HttpRequest], str],
    rate: str,
) -> bool:
    """Count one hit of ``key(group, request)`` in ``group``; True when over ``rate``."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return False
    if cache_available():
        try:
            return is_ratelimited(
                request, group=group, key=key, rate=rate, method=is_ratelimited.ALL, increment=True
            )
        except Exception as exc:  # Redis down or not answering: count in the database
            _mark_cache_down(exc)
    limit, _period = parse_rate(rate)
    try:
        return count_in_database(group=group, value=key(group, request), rate=rate) > limit
    except Exception as exc:  # the database cannot count either: fail closed
        logger.error("rate limit %s cannot count (%s); refusing", group, exc.__class__.__name__)
        return True


def prune_counters(*, now: datetime | None = None) -> int:
    """Delete the database counters of windows that have ended. Returns how many."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
