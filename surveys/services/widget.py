"""The embedded NPS widget: the host's signature of the customer ID, and one answer (the score
and its follow-up) stored as a completed response.

The host site signs ``"{customer_id}.{timestamp}"`` with the widget's secret (hex HMAC-SHA256)
when it renders the page; a signature that does not match, or older than a day, is refused
(``Forbidden``, 403) and nothing is stored. The form the widget shows carries its own signed
token (``django.core.signing``, one hour), so no cookie is needed inside a third-party iframe.
A known customer answers a survey once; the rate limits of public links apply to the rest.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.platform import outbox
from engagement.platform.errors import Conflict, DomainError, InvalidInput
from surveys.flow import SurveyPlan
from surveys.links import Widget
from surveys.models import TEXT_KINDS, QuestionKind, QuestionRole, Response, ResponseStatus
from surveys.services.announcements import announce_completed
from surveys.services.answering import _check_open, _score, save_answers

SIGNATURE_MAX_AGE = 24 * 3600
FORM_MAX_AGE = 3600
FORM_SALT = "surveys.widget.form"


class Forbidden(DomainError):
    code = "forbidden"
    status_code = 403


def customer_signature(*, secret: str, customer_id: str, timestamp: int) -> str:
    message = f"{customer_id}.{timestamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_customer(
    *, widget: Widget, customer_id: str, timestamp: str, signature: str, now: datetime
) -> Customer | None:
    """The signed customer (None when the host passed none); ``Forbidden`` when forged."""
    if not (customer_id or timestamp or signature):
        return None
    refused = Forbidden(_("This widget could not confirm who you are."))
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        raise refused from None
    if abs(now.timestamp() - sent_at) > SIGNATURE_MAX_AGE:
        raise refused
    expected = customer_signature(secret=widget.secret, customer_id=customer_id, timestamp=sent_at)
    if not hmac.compare_digest(expected, signature or ""):
        raise refused
    customer = Customer.objects.filter(external_id=customer_id, forgotten_at__isnull=True).first()
    if customer is None:
        raise refused
    return customer


def form_token(*, widget: Widget, customer: Customer | None) -> str:
    return signing.dumps({"w": widget.id, "c": customer.id if customer else None}, salt=FORM_SALT)


def read_form_token(*, widget: Widget, token: str) -> Customer | None:
    try:
        data = signing.loads(token or "", salt=FORM_SALT, max_age=FORM_MAX_AGE)
    except signing.BadSignature:
        raise Forbidden(_("The page has expired. Please open it again.")) from None
    if data.get("w") != widget.id:
        raise Forbidden(_("The page has expired. Please open it again."))
    return Customer.objects.filter(id=data.get("c")).first() if data.get("c") else None


def already_answered(*, widget: Widget, customer: Customer | None) -> bool:
    return (
        bool(customer)
        and Response.objects.filter(
            survey_id=widget.survey_id, customer=customer, status=ResponseStatus.COMPLETED
        ).exists()
    )


def _keys(plan: SurveyPlan, category: str) -> tuple[str, str | None]:
    nps_key = next(
        q.key
        for q in plan.all_questions()
        if q.role == QuestionRole.NPS and q.kind == QuestionKind.NPS
    )
    texts = [q for q in plan.all_questions() if q.kind in TEXT_KINDS]
    reason = next((q.key for q in texts if q.key == f"reason_{category}"), None)
    return nps_key, reason or (texts[0].key if texts else None)


def answer_widget(
    *, widget: Widget, customer: Customer | None, score: Any, text: str, now: datetime
) -> Response:
    """Store the score and the follow-up as a completed response (the widget asks nothing else)."""
    from surveys import scoring

    try:
        score = int(score)
    except (TypeError, ValueError):
        score = -1
    if not 0 <= score <= 10:
        raise InvalidInput(
            _("Please choose a score from 0 to 10."), fields={"score": [_("Required.")]}
        )
    plan = SurveyPlan.load(widget.survey)
    with transaction.atomic():
        _check_open(widget.survey, now)
        if customer is not None:
            Customer.objects.select_for_update().filter(id=customer.id).first()
            if already_answered(widget=widget, customer=customer):
                raise Conflict(_("This survey has already been answered."), code="already_answered")
        response = Response.objects.create(
            survey=widget.survey, customer=customer, url_params={"widget": widget.name}
        )
        nps_key, text_key = _keys(plan, scoring.nps_category(score) or "")
        values: dict[str, Any] = {nps_key: score}
        if text_key and (text or "").strip():
            values[text_key] = text
        response = save_answers(response=response, values=values, now=now, plan=plan)
        _score(response, plan, values, "")
        response.status = ResponseStatus.COMPLETED
        response.submitted_at = now
        response.save()
        outbox.enqueue(
            task_name="voc.ingest_response",
            kwargs={"response_id": response.id},
            dedup_key=f"ingest-response-{response.id}",
        )
        announce_completed(response=response, values=values)
    return response
