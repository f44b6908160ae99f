"""What triage tells the outside: ``feedback.assigned`` and ``feedback.resolved`` webhooks, and
SLA breaches (an open item past its due time) as a Japanese chat alert routed to the item's
team. Recorded through ``engagement.integrations`` in the caller's transaction."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.integrations import services as integrations
from engagement.integrations.models import ChatKind, WebhookEvent
from engagement.platform.branding import staff_label
from voc.models import FeedbackItem
from voc.services.announcements import item_payload, item_url


def _stamp() -> int:
    return int(timezone.now().timestamp() * 1_000_000)


def announce_assigned(*, item: FeedbackItem) -> int:
    return integrations.emit_event(
        event=WebhookEvent.FEEDBACK_ASSIGNED,
        key=f"feedback-assigned-{item.id}-{_stamp()}",
        data=item_payload(item),
    )


def announce_resolved(*, item: FeedbackItem) -> int:
    return integrations.emit_event(
        event=WebhookEvent.FEEDBACK_RESOLVED,
        key=f"feedback-resolved-{item.id}-{_stamp()}",
        data=item_payload(item),
    )


def announce_sla_breach(*, item: FeedbackItem, due_key: str, due_label: str) -> int:
    """Chat alert for an overdue item, once per due time, to its team's channels."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "SLA breach: feedback #%(id)s is past its due time (%(due)s) and still open.\n"
            "Team: %(team)s / Owner: %(owner)s"
        ) % {
            "id": item.id,
            "due": due_label,
            "team": item.team.name if item.team_id else "-",
            "owner": staff_label(item.owner) if item.owner_id else _("(unassigned)"),
        }
    return integrations.notify_chat(
        kind=ChatKind.SLA_BREACH,
        key=f"sla-{item.id}-{due_key}",
        text=text,
        link=item_url(item.id),
        team_id=item.team_id,
    )
