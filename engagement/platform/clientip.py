"""The real client address, for rate limits.

``X-Forwarded-For`` is trusted only for the number of proxies named in ``TRUSTED_PROXY_COUNT``:
each trusted proxy appends the address it saw, so the client is the entry that many places
from the right. With no trusted proxy, the socket's address is used and the header is ignored,
so a forged header cannot move a client into another rate-limit bucket.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) < hops:
        return remote
    return forwarded[-hops]


def ratelimit_key(group: str, request: HttpRequest) -> str:
    """Key function for django-ratelimit (``key="engagement.platform.clientip.ratelimit_key"``)."""
    return client_ip(request)
