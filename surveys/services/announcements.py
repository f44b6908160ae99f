"""What a completed response tells the outside: the ``response.completed`` webhook and, for a
detractor, a chat alert in Japanese with a link to the response. Recorded in the submit's
transaction (``engagement.integrations``); sent after commit through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from engagement.integrations import services as integrations
from engagement.integrations.models import ChatKind, WebhookEvent
from surveys.models import NpsCategory, Response

EXCERPT = 200


def response_url(response_id: int) -> str:
    return settings.SITE_URL + reverse("admin:surveys_response_change", args=[response_id])


def _comment(values: Mapping[str, Any]) -> str:
    """The reason given for the score, else the longest free text."""
    reasons = [v for k, v in values.items() if k.startswith("reason_") and isinstance(v, str)]
    texts = [v for v in values.values() if isinstance(v, str) and len(v.strip()) >= 2]
    texts = [v for v in reasons if v.strip()] or texts
    text = " ".join(max(texts, key=len).split()) if texts else ""
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def response_payload(response: Response) -> dict[str, Any]:
    customer = response.customer if response.customer_id else None
    return {
        "response_id": response.id,
        "survey_id": response.survey_id,
        "survey": response.survey.title,
        "customer_external_id": customer.external_id if customer else None,
        "submitted_at": response.submitted_at,
        "nps_score": response.nps_score,
        "nps_category": response.nps_category or None,
        "csat_score": response.csat_score,
        "touchpoint": response.touchpoint or None,
        "public_link": response.public_link.name if response.public_link_id else None,
        "link_source": response.public_link.source if response.public_link_id else None,
        "link_code": response.public_link.source_value if response.public_link_id else None,
        "url_params": response.url_params or {},
        "url": response_url(response.id),
    }


def announce_completed(*, response: Response, values: Mapping[str, Any]) -> None:
    """Record the webhook deliveries and the detractor alert of a just-completed response."""
    integrations.emit_event(
        event=WebhookEvent.RESPONSE_COMPLETED,
        key=f"response-{response.id}",
        data=response_payload(response),
    )
    if response.nps_category != NpsCategory.DETRACTOR:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Detractor answer (NPS %(score)s) to “%(survey)s”.\nComment: %(comment)s") % {
            "score": response.nps_score,
            "survey": response.survey.title,
            "comment": _comment(values) or _("(none)"),
        }
    integrations.notify_chat(
        kind=ChatKind.DETRACTOR,
        key=f"detractor-response-{response.id}",
        text=text,
        link=response_url(response.id),
    )
