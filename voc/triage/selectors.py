"""Reads for triage: who may see which items, keyword search, the panels of the item page."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from engagement.customers.models import BehaviourRecord, Customer
from engagement.platform import scope
from voc.models import FeedbackItem, TriageState

from .models import ItemTag, Note, Reply, TriageEvent

logger = logging.getLogger(__name__)

OPEN_STATES = (TriageState.NEW, TriageState.IN_PROGRESS, TriageState.WAITING)
# States in which the deadline clock runs (waiting for the customer pauses escalation).
ESCALATING_STATES = (TriageState.NEW, TriageState.IN_PROGRESS)

CONTACT_PERM = "triage.contact_customer"
PERSONAL_DATA_PERM = scope.PERSONAL_DATA_PERM
EXPORT_PERM = "triage.export_feedback"


def sees_all_teams(user: AbstractBaseUser | AnonymousUser) -> bool:
    return scope.sees_all_teams(user)


def visible_items(
    *, user: AbstractBaseUser | AnonymousUser, queryset: QuerySet[FeedbackItem] | None = None
) -> QuerySet[FeedbackItem]:
    """Items ``user`` may triage: ``FeedbackItem.objects.visible_to`` (the one scope rule)."""
    queryset = FeedbackItem.objects.all() if queryset is None else queryset
    return queryset.visible_to(user)


def search_items_by_keyword(
    queryset: QuerySet[FeedbackItem], keyword: str
) -> QuerySet[FeedbackItem]:
    """Token search (解約 finds 解約したい), delegated to ``voc.selectors.filter_by_keyword``.

    Until the VoC analysis provides it, a plain substring match on the original text is used.
    """
    keyword = (keyword or "").strip()
    if not keyword:
        return queryset
    try:
        from voc.selectors import filter_by_keyword
    except ImportError:
        logger.info("voc.selectors.filter_by_keyword missing; substring search used")
        return queryset.filter(text__icontains=keyword)
    return filter_by_keyword(queryset, keyword)


def recent_behaviour(*, customer: Customer | None, limit: int = 5) -> list[BehaviourRecord]:
    if customer is None:
        return []
    return list(
        BehaviourRecord.objects.filter(customer=customer)
        .select_related("kind")
        .order_by("-occurred_at", "-id")[:limit]
    )


def item_page_context(*, item: FeedbackItem, user: Any) -> dict[str, Any]:
    """Everything the item page shows beside the item itself, in a fixed number of queries."""
    notes = list(
        Note.objects.filter(item=item)
        .select_related("author")
        .prefetch_related("mentions")
        .order_by("created_at", "id")
    )
    children: dict[int | None, list[Note]] = {}
    for note in notes:
        children.setdefault(note.parent_id, []).append(note)

    def thread(parent_id: int | None, depth: int) -> list[tuple[Note, int]]:
        rows: list[tuple[Note, int]] = []
        for note in children.get(parent_id, []):
            rows.append((note, min(depth, 6)))
            rows.extend(thread(note.id, depth + 1))
        return rows

    customer = item.customer
    return {
        "customer": customer,
        "show_personal": user.has_perm(PERSONAL_DATA_PERM),
        "can_contact": user.has_perm(CONTACT_PERM),
        "behaviour": recent_behaviour(customer=customer),
        "events": list(
            TriageEvent.objects.filter(item=item)
            .select_related("actor")
            .order_by("-created_at", "-id")
        ),
        "note_rows": thread(None, 0),
        "tags": [t.tag for t in ItemTag.objects.filter(item=item).select_related("tag")],
        "replies": list(
            Reply.objects.filter(item=item)
            .select_related("created_by", "sent_by")
            .order_by("-created_at", "-id")
        ),
        "duplicates": list(
            FeedbackItem.objects.visible_to(user)
            .filter(duplicate_of=item)
            .order_by("-received_at", "-id")[:50]
        ),
    }


def items_for_export(queryset: QuerySet[FeedbackItem]) -> QuerySet[FeedbackItem]:
    return queryset.select_related(
        "customer", "topic", "owner__staff_profile", "team"
    ).prefetch_related(Prefetch("item_tags", queryset=ItemTag.objects.select_related("tag")))
