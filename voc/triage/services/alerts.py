"""E-mail alerts: recorded first (``Alert``, unique ``key``), then sent by a task via the outbox.

The unique key makes every alert happen once however often the beat tasks run; the outbox makes a
broker outage delay alerts without losing them; ``deliver_alert`` locks the row and sends only a
pending alert, so a task delivered twice sends one e-mail.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.platform import outbox
from engagement.platform.branding import staff_label
from voc.models import FeedbackItem

from ..businesshours import TOKYO, business_hours_between
from ..models import Alert, AlertKind, AlertState, Note, Rule
from ..selectors import ESCALATING_STATES, OPEN_STATES
from .announcements import announce_sla_breach
from .calendar import current_calendar, get_triage_settings

logger = logging.getLogger(__name__)


def item_url(item_id: int) -> str:
    return settings.SITE_URL + reverse("admin:voc_feedbackitem_change", args=[item_id])


def excerpt(text: str, length: int = 80) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def record_alert(
    *,
    key: str,
    kind: str,
    to: list[str],
    subject: str,
    body: str,
    item: FeedbackItem | None = None,
    recipient: Any = None,
    customer: Any = None,
) -> Alert | None:
    """Record an alert and enqueue its sending; ``None`` when the key was already recorded."""
    to = sorted({address for address in to if address})
    if Alert.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                key=key,
                kind=kind,
                to=to,
                subject=subject[:250],
                body=body,
                item=item,
                recipient=recipient,
                customer=customer,
                state=AlertState.PENDING if to else AlertState.SKIPPED,
            )
            if to:
                outbox.enqueue(
                    task_name="triage.send_alert",
                    kwargs={"alert_id": alert.id},
                    dedup_key=f"triage-alert-{alert.id}",
                )
    except IntegrityError:  # recorded concurrently by another run
        return None
    return alert


def deliver_alert(*, alert_id: int) -> bool:
    """Send one pending alert by e-mail. True if an e-mail went out now."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(id=alert_id).first()
        if alert is None or alert.state != AlertState.PENDING:
            return False
        message = EmailMessage(
            subject=alert.subject,
            body=alert.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(alert.to),
            headers={"X-Alert-Key": alert.key},
        )
        message.send(fail_silently=False)
        alert.state = AlertState.SENT
        alert.sent_at = timezone.now()
        alert.send_count += 1
        alert.last_error = ""
        alert.save(update_fields=["state", "sent_at", "send_count", "last_error", "updated_at"])
    return True


def _team_addresses(team: Any) -> list[str]:
    if team is None:
        return []
    if team.email:
        return [team.email]
    return [m.email for m in team.members.all() if m.is_active and m.email]


def _owner_addresses(item: FeedbackItem) -> list[str]:
    if item.owner_id and item.owner.email and item.owner.is_active:
        return [item.owner.email]
    return _team_addresses(item.team)


def _when(value: datetime | None) -> str:
    return value.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") if value else "-"


def notify_rule(*, rule: Rule, item: FeedbackItem) -> Alert | None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Feedback] Rule “%(rule)s”: item #%(id)s") % {"rule": rule.name, "id": item.id}
        body = _(
            "The rule “%(rule)s” matched a new feedback item.\n\n"
            "%(text)s\n\nDue: %(due)s\n%(url)s\n"
        ) % {
            "rule": rule.name,
            "text": excerpt(item.text, 300),
            "due": _when(item.due_at),
            "url": item_url(item.id),
        }
    return record_alert(
        key=f"rule-{rule.id}-item-{item.id}",
        kind=AlertKind.RULE,
        to=_team_addresses(rule.notify_team),
        subject=subject,
        body=body,
        item=item,
    )


def notify_mention(*, note: Note, user: Any) -> Alert | None:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Feedback] You were mentioned on item #%(id)s") % {"id": note.item_id}
        body = _("%(author)s mentioned you in a note:\n\n%(note)s\n\n%(url)s\n") % {
            "author": staff_label(note.author) if note.author else "-",
            "note": note.body[:2000],
            "url": item_url(note.item_id),
        }
    return record_alert(
        key=f"mention-{note.id}-{user.pk}",
        kind=AlertKind.MENTION,
        to=[user.email],
        subject=subject,
        body=body,
        item=note.item,
        recipient=user,
    )


def _overdue_body(item: FeedbackItem) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "This feedback item is past its due time and still open.\n\n"
            "State: %(state)s\nOwner: %(owner)s\nTeam: %(team)s\nDue: %(due)s\n\n"
            "%(text)s\n\n%(url)s\n"
        ) % {
            "state": item.get_state_display(),
            "owner": staff_label(item.owner) if item.owner_id else "-",
            "team": item.team.name if item.team_id else "-",
            "due": _when(item.due_at),
            "text": excerpt(item.text, 300),
            "url": item_url(item.id),
        }


def escalate_overdue(*, now: datetime | None = None, chunk_size: int = 500) -> int:
    """Overdue open items: alert the owner (or the team), then the team lead; returns a count.

    Runs every few minutes: items whose alerts exist already cost one query per chunk.
    """
    now = now or timezone.now()
    triage_settings = get_triage_settings()
    calendar = current_calendar()
    created = 0
    overdue = FeedbackItem.objects.filter(
        state__in=ESCALATING_STATES, due_at__lt=now, duplicate_of__isnull=True
    )
    ids = list(overdue.order_by("due_at", "id").values_list("id", flat=True))
    for start in range(0, len(ids), chunk_size):
        items = list(
            overdue.filter(id__in=ids[start : start + chunk_size])
            .select_related("owner", "team", "team__lead")
            .prefetch_related("team__members")
            .order_by("due_at", "id")
        )
        wanted: list[tuple[str, str, FeedbackItem]] = []
        for item in items:
            due_key = int(item.due_at.timestamp())
            wanted.append((AlertKind.ESCALATION_OWNER, f"overdue-owner-{item.id}-{due_key}", item))
            lead = item.team.lead if item.team_id else None
            if lead and (
                business_hours_between(item.due_at, now, calendar=calendar)
                >= triage_settings.lead_escalation_after_hours
            ):
                wanted.append(
                    (AlertKind.ESCALATION_LEAD, f"overdue-lead-{item.id}-{due_key}", item)
                )
        existing = set(
            Alert.objects.filter(key__in=[key for _kind, key, _item in wanted]).values_list(
                "key", flat=True
            )
        )
        for kind, key, item in wanted:
            if key in existing:
                continue
            if kind == AlertKind.ESCALATION_OWNER:
                announce_sla_breach(
                    item=item, due_key=key.rsplit("-", 1)[1], due_label=_when(item.due_at)
                )
                with translation.override(settings.LANGUAGE_CODE):
                    subject = _("[Feedback] Overdue: item #%(id)s (due %(due)s)") % {
                        "id": item.id,
                        "due": _when(item.due_at),
                    }
                to, recipient = _owner_addresses(item), item.owner
            else:
                with translation.override(settings.LANGUAGE_CODE):
                    subject = _("[Feedback] Escalation to team lead: item #%(id)s") % {
                        "id": item.id
                    }
                recipient = item.team.lead
                to = [recipient.email] if recipient.is_active else []
            if record_alert(
                key=key,
                kind=kind,
                to=to,
                subject=subject,
                body=_overdue_body(item),
                item=item,
                recipient=recipient,
            ):
                created += 1
    return created


def send_daily_digests(*, now: datetime | None = None) -> int:
    """Once per business day after the digest hour: each owner gets a list of their open items."""
    now = now or timezone.now()
    local = now.astimezone(TOKYO)
    triage_settings = get_triage_settings()
    if local.hour < triage_settings.digest_hour or not current_calendar().is_business_day(
        local.date()
    ):
        return 0
    by_owner: dict[int, list[FeedbackItem]] = defaultdict(list)
    owners: dict[int, Any] = {}
    for item in (
        FeedbackItem.objects.filter(
            state__in=OPEN_STATES, owner__isnull=False, owner__is_active=True
        )
        .select_related("owner")
        .order_by("owner_id", "-priority", "due_at", "id")
        .iterator(chunk_size=1000)
    ):
        by_owner[item.owner_id].append(item)
        owners[item.owner_id] = item.owner
    created = 0
    for owner_id, items in by_owner.items():
        owner = owners[owner_id]
        overdue = sum(1 for i in items if i.due_at and i.due_at < now)
        with translation.override(settings.LANGUAGE_CODE):
            subject = _(
                "[Feedback] Your open items on %(date)s: %(count)s (%(overdue)s overdue)"
            ) % {
                "date": local.date().isoformat(),
                "count": len(items),
                "overdue": overdue,
            }
            lines = [
                _("Good morning. These feedback items are assigned to you and still open:"),
                "",
            ]
            for item in items[:100]:
                lines.append(
                    f"#{item.id} [{item.get_state_display()}/{item.get_priority_display()}] "
                    f"{_('due')} {_when(item.due_at)} — {excerpt(item.text, 60)}"
                )
                lines.append("  " + item_url(item.id))
            if len(items) > 100:
                lines.append(_("…and %(count)s more.") % {"count": len(items) - 100})
        if record_alert(
            key=f"digest-{owner_id}-{local.date().isoformat()}",
            kind=AlertKind.DIGEST,
            to=[owner.email],
            subject=subject,
            body="\n".join(lines) + "\n",
            recipient=owner,
        ):
            created += 1
    return created
