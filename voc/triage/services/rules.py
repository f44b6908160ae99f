"""Rules staff configure: when an item arrives, matching rules set priority, due time (in
business hours), team, and notify a team. Applied once per item (``RuleRun``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.platform import outbox
from voc.models import FeedbackItem

from ..businesshours import add_business_hours
from ..models import EventKind, Rule, RuleRun
from .calendar import current_calendar
from .workflow import apply_assignment, apply_due, apply_priority, record_event

logger = logging.getLogger(__name__)


def rule_matches(*, rule: Rule, item: FeedbackItem) -> bool:
    customer = item.customer
    checks = [
        not rule.nps_category or item.nps_category == rule.nps_category,
        not rule.requires_text or bool((item.text or "").strip()),
        not rule.topic_id or item.topic_id == rule.topic_id,
        not rule.channel or item.channel == rule.channel,
        not rule.sentiment or item.sentiment == rule.sentiment,
        not rule.touchpoint or item.touchpoint == rule.touchpoint,
        not rule.segment or (customer is not None and customer.segment == rule.segment),
    ]
    return all(checks)


def request_rules(*, item_id: int) -> None:
    """Enqueue the rules for a newly arrived item (call inside the transaction that created it)."""
    outbox.enqueue(
        task_name="triage.apply_rules",
        kwargs={"item_ids": [item_id]},
        dedup_key=f"triage-apply-rules-{item_id}",  # the same key as voc ingest uses
    )


def apply_rules_to_items(*, item_ids: list[int]) -> int:
    """Apply the rules to each item (each in its own transaction, each at most once); returns
    how many items matched a rule."""
    return sum(1 for item_id in item_ids if apply_rules(item_id=item_id))


@transaction.atomic
def apply_rules(*, item_id: int, now: datetime | None = None) -> list[int]:
    """Apply the active rules to one item, once. Returns the ids of the rules that matched."""
    from .alerts import notify_rule

    item = (
        FeedbackItem.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(id=item_id)
        .first()
    )
    if item is None:
        return []
    if RuleRun.objects.filter(item_id=item_id).exists():
        return []
    now = now or timezone.now()
    calendar = current_calendar()
    matched: list[int] = []
    for rule in (
        Rule.objects.filter(is_active=True)
        .select_related("assign_team", "notify_team")
        .order_by("position", "id")
    ):
        if not rule_matches(rule=rule, item=item):
            continue
        matched.append(rule.id)
        record_event(item=item, actor=None, kind=EventKind.RULE, new=rule.name)
        if rule.set_priority and rule.set_priority > item.priority:
            apply_priority(item=item, actor=None, priority=rule.set_priority)
        if rule.due_in_business_hours is not None:
            start = item.created_at or now  # the clock starts when the item arrived
            due = add_business_hours(start, rule.due_in_business_hours, calendar=calendar)
            if item.due_at is None or due < item.due_at:
                apply_due(
                    item=item,
                    actor=None,
                    due_at=due,
                    detail=_("%(hours)s business hours (rule: %(rule)s)")
                    % {"hours": rule.due_in_business_hours, "rule": rule.name},
                )
        if rule.assign_team_id and item.team_id is None:
            apply_assignment(item=item, actor=None, team=rule.assign_team)
        if rule.notify_team_id:
            notify_rule(rule=rule, item=item)
        if rule.stop_processing:
            break
    RuleRun.objects.create(item=item, matched_rule_ids=matched)
    return matched


def apply_pending_rules(
    *, older_than_seconds: int = 120, max_age_days: int = 7, limit: int = 2000
) -> int:
    """The sweep: recent items that never had their rules applied (a lost enqueue, an import).

    Items older than ``max_age_days`` are history (e.g. a back-fill import): no deadlines for them.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    ids = list(
        FeedbackItem.objects.filter(
            rule_run__isnull=True,
            created_at__lt=cutoff,
            created_at__gte=now - timedelta(days=max_age_days),
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for item_id in ids:
        apply_rules(item_id=item_id)
    return len(ids)
