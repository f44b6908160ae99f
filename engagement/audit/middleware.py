"""Request hooks: the audit buffer (written once at the end), what a request itself records
(customer pages, exports, API reads of personal data), and the session time limits.

What is recorded is named by URL name, so this infrastructure imports no domain app:
``CUSTOMER_VIEWS`` (URL name → the keyword argument holding the customer's id) and
``PERSONAL_DATA_API`` (URL names of API reads that return personal data). Every response sent
as an attachment (``Content-Disposition: attachment``) is an export, whichever app sent it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from engagement.audit import log
from engagement.audit.models import AuditAction

STARTED_KEY = "_auth_started"
SEEN_KEY = "_last_seen"

logger = logging.getLogger(__name__)

CUSTOMER_VIEWS: dict[str, str] = {
    "dashboard:customer": "pk",
    "admin:engagement_customer_change": "object_id",
}
# Other staff pages that show customers' personal data (lists, a feedback item with its customer).
PERSONAL_DATA_PAGES: dict[str, str] = {
    "admin:engagement_customer_changelist": "",
    "admin:voc_feedbackitem_change": "object_id",
}
PERSONAL_DATA_API: dict[str, str] = {
    "api-customers": "",
    "api-responses": "",
    "voc-feedback-search": "",
    "triage-item-list": "",
    "triage-item-detail": "pk",
}


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        log.start_buffer(request)
        token = log.bind_request(request)
        try:
            response = self.get_response(request)
            self._record_response(request, response)
        except BaseException:
            log.flush(request)
            raise
        finally:
            log.unbind_request(token)
        # Written when the server closes the response, after the page has gone to the browser:
        # the log costs the person waiting nothing (one transaction, one bulk insert).
        response._resource_closers.append(partial(_flush_quietly, request))
        return response

    def _record_response(self, request: HttpRequest, response: HttpResponse) -> None:
        if not 200 <= response.status_code < 300:
            return
        match = getattr(request, "resolver_match", None)
        name = match.view_name if match else ""
        kwargs = match.kwargs if match else {}
        disposition = response.get("Content-Disposition", "") or ""
        if disposition.startswith("attachment"):
            filename = disposition.partition("filename=")[2].strip('"')
            log.record(
                request,
                action=AuditAction.EXPORT,
                object_type=name,
                object_repr=filename[:200],
                detail={"filename": filename, "content_type": response.get("Content-Type", "")},
            )
            return
        if request.method != "GET":
            return
        if name in CUSTOMER_VIEWS:
            raw = str(kwargs.get(CUSTOMER_VIEWS[name], ""))
            customer_id = int(raw) if raw.isdigit() else None
            log.record(
                request,
                action=AuditAction.CUSTOMER_VIEW,
                object_type="engagement.customer",
                object_id=raw,
                customer_id=customer_id,
            )
        elif name in PERSONAL_DATA_API or name in PERSONAL_DATA_PAGES:
            is_api = name in PERSONAL_DATA_API
            key = PERSONAL_DATA_API[name] if is_api else PERSONAL_DATA_PAGES[name]
            log.record(
                request,
                action=AuditAction.API_READ if is_api else AuditAction.PERSONAL_DATA_VIEW,
                object_type=name,
                object_id=str(kwargs.get(key, "")) if key else "",
                detail={"query": request.GET.dict()},
            )


EXPIRED_SESSION_KEY = "session_expired"


def _flush_quietly(request: HttpRequest) -> None:
    try:
        log.flush(request)
    except Exception:
        logger.exception("audit entries of %s could not be written", request.path)


class SessionLimitsMiddleware:
    """Sign staff out after ``SESSION_IDLE_TIMEOUT`` seconds without a request and after
    ``SESSION_ABSOLUTE_LIFETIME`` seconds from sign-in, whatever they do."""

    # The session is written again only when the last mark is this old (not on every request).
    TOUCH_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._expired(request)
            if expired:
                request._audit_sign_out_detail = expired  # type: ignore[attr-defined]
                logout(request)  # recorded by the user_logged_out receiver, with the reason
                request.session[EXPIRED_SESSION_KEY] = True  # the sign-in page says why
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> dict[str, Any] | None:
        session = request.session
        now = time.time()
        started = session.get(STARTED_KEY)
        seen = session.get(SEEN_KEY)
        if started is None:  # a session from before the limits: they count from now
            session[STARTED_KEY] = now
            session[SEEN_KEY] = now
            return None
        idle = settings.SESSION_IDLE_TIMEOUT
        lifetime = settings.SESSION_ABSOLUTE_LIFETIME
        if lifetime and now - started > lifetime:
            return {"reason": "absolute_lifetime"}
        if idle and seen is not None and now - seen > idle:
            return {"reason": "idle_timeout"}
        if seen is None or now - seen > self.TOUCH_EVERY:
            session[SEEN_KEY] = now
        return None
