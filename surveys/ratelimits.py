"""Rate limits for the public survey pages, keyed on the real client address.

The key is ``engagement.platform.clientip.client_ip`` (a forged ``X-Forwarded-For`` is ignored
unless it
comes through a trusted proxy). When the cache (Redis) is down or not answering, the limit fails
open after the cache's short socket timeout, so answering a survey still works.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from engagement.platform.clientip import ratelimit_key

logger = logging.getLogger(__name__)

DEFAULT_RATES = {"GET": "120/m", "POST": "30/m"}


def rate_for(method: str) -> str:
    rates = getattr(settings, "SURVEYS_RATE_LIMITS", DEFAULT_RATES)
    return rates.get(method, rates.get("GET", "120/m"))


def limited(request: HttpRequest) -> bool:
    method = "POST" if request.method == "POST" else "GET"
    try:
        return is_ratelimited(
            request,
            group=f"surveys-public-{method}",
            key=ratelimit_key,
            rate=rate_for(method),
            method=request.method,
            increment=True,
        )
    except Exception as exc:  # cache down: fail open, the answer matters more
        logger.warning("survey rate limit unavailable (%s); allowing", exc.__class__.__name__)
        return False
