"""Abuse limits for the customer pages: rate limits, a honeypot field, a minimum time on page.

- **Requests per client** (``SURVEYS_RATE_LIMITS``, default GET 120/min, POST 30/min), keyed on
  the real client address (``engagement.platform.clientip``: a forged ``X-Forwarded-For`` is
  ignored unless it comes through a trusted proxy).
- **New answers through a public link** (``SURVEYS_PUBLIC_START_LIMITS``): per client and link
  (default 10 an hour) and per link in total (default 600 an hour).
- Counting is in Redis when it answers, otherwise in the database
  (``engagement.platform.ratelimits``): the limits hold without Redis and fail closed.
- **Honeypot**: a text field people do not see (``website``); a form that fills it is refused.
- **Minimum time on page** (``SURVEYS_MIN_SECONDS_ON_PAGE``, default 2 s): each page carries a
  signed time stamp; a "next" posted sooner (or with no or a forged stamp) is shown again with a
  polite request to send it again, and nothing is saved.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from engagement.platform import ratelimits
from engagement.platform.clientip import ratelimit_key

DEFAULT_RATES = {"GET": "120/m", "POST": "30/m"}
DEFAULT_START_LIMITS = {"client": "10/h", "link": "600/h"}
HONEYPOT_FIELD = "website"
STAMP_FIELD = "rendered"
STAMP_SALT = "surveys.page-shown"


def rate_for(method: str) -> str:
    rates = getattr(settings, "SURVEYS_RATE_LIMITS", DEFAULT_RATES)
    return rates.get(method, rates.get("GET", "120/m"))


def limited(request: HttpRequest) -> bool:
    """Count this request against its client's per-method limit; True when over it."""
    method = "POST" if request.method == "POST" else "GET"
    return ratelimits.hit(
        request, group=f"surveys-public-{method}", key=ratelimit_key, rate=rate_for(method)
    )


def public_start_limited(request: HttpRequest, *, link: str) -> bool:
    """Count a new answer started through the public link ``link`` (the survey's public nonce):
    per client and link, and per link. True when either limit is exceeded."""
    limits = {**DEFAULT_START_LIMITS, **getattr(settings, "SURVEYS_PUBLIC_START_LIMITS", {})}
    per_client = ratelimits.hit(
        request,
        group=f"surveys-public-start-client-{link}",
        key=ratelimit_key,
        rate=limits["client"],
    )
    per_link = ratelimits.hit(
        request,
        group="surveys-public-start-link",
        key=lambda _group, _request: link,
        rate=limits["link"],
    )
    return per_client or per_link


def page_stamp(now: float | None = None) -> str:
    """The signed time a page was shown, for its form."""
    return signing.dumps(round(time.time() if now is None else now, 3), salt=STAMP_SALT)


def posted_too_fast(request: HttpRequest, *, now: float | None = None) -> bool:
    """Whether the form was posted sooner than the minimum time after the page was shown."""
    minimum = float(getattr(settings, "SURVEYS_MIN_SECONDS_ON_PAGE", 0) or 0)
    if minimum <= 0:
        return False
    try:
        shown = float(
            signing.loads(request.POST.get(STAMP_FIELD, ""), salt=STAMP_SALT, max_age=86400)
        )
    except (signing.BadSignature, TypeError, ValueError):
        return True
    return (time.time() if now is None else now) - shown < minimum


def honeypot_filled(request: HttpRequest) -> bool:
    return bool(request.POST.get(HONEYPOT_FIELD, "").strip())
