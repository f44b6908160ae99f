"""Provider callbacks (no login, no CSRF: each request is authenticated by its signature).

``POST /channels/line/webhook/``: LINE Messaging API webhook, ``X-Line-Signature`` =
base64(HMAC-SHA256(channel secret, body)). ``POST /channels/sms/inbound/`` (replies such as
STOP) and ``POST /channels/sms/status/`` (delivered / undelivered): Twilio's callbacks,
``X-Twilio-Signature``. A missing or forged signature gets 403 and changes
nothing.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from engagement.platform import encryption
from surveys.channels import line, sms
from surveys.services import inbound, links, sending

logger = logging.getLogger(__name__)


def _refused(status: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _unreadable(what: str) -> JsonResponse:
    """The stored secret cannot be decrypted (wrong FIELD_ENCRYPTION_KEYS): nothing is checked
    or changed; the provider retries later."""
    message = encryption.SecretUnreadable(what).message
    logger.error("channel callback refused: %s", message)
    return _refused(503, message)


@csrf_exempt
@require_POST
def line_webhook(request: HttpRequest) -> HttpResponse:
    config = sending.line_config()
    if config is None:
        return _refused(404, _("The LINE channel is not set up."))
    if encryption.is_unreadable(config.channel_secret):
        return _unreadable(_("LINE channel secret"))
    body = request.body
    if not line.signature_ok(
        channel_secret=config.channel_secret,
        body=body,
        header=request.headers.get("X-Line-Signature"),
    ):
        return _refused(403, _("The signature of this request is not valid."))
    try:
        data = json.loads(body)
    except ValueError:
        return _refused(400, _("The request body is not valid JSON."))
    events = data.get("events") if isinstance(data, dict) else None
    counts = inbound.handle_line_events(events=events or [], now=timezone.now())
    return JsonResponse({"ok": True, "events": counts})


def _twilio_params(request: HttpRequest) -> tuple[dict[str, str] | None, HttpResponse | None]:
    """The form of a Twilio callback whose signature is right, or the refusal to send."""
    config = sending.twilio_config()
    if config is None:
        return None, _refused(404, _("The SMS channel is not set up."))
    if not config.auth_token:  # never check a signature against an empty key
        return None, _unreadable(_("SMS auth token"))
    params = {key: request.POST.get(key, "") for key in request.POST}
    url = links.site_url() + request.path
    expected = sms.twilio_signature(auth_token=config.auth_token, url=url, params=params)
    header = request.headers.get("X-Twilio-Signature") or ""
    if not header or not hmac.compare_digest(expected, header):
        return None, _refused(403, _("The signature of this request is not valid."))
    return params, None


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    params, refusal = _twilio_params(request)
    if params is None:
        return refusal or _refused(403, "")
    inbound.handle_sms_reply(
        sender=params.get("From", ""), body=params.get("Body", ""), now=timezone.now()
    )
    # An empty TwiML answer: no automatic reply.
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def sms_status(request: HttpRequest) -> HttpResponse:
    params, refusal = _twilio_params(request)
    if params is None:
        return refusal or _refused(403, "")
    inbound.record_sms_status(
        message_sid=params.get("MessageSid", ""),
        status=params.get("MessageStatus", ""),
        error_code=params.get("ErrorCode", ""),
        now=timezone.now(),
    )
    return HttpResponse(status=204)
