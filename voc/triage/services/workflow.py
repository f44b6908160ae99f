"""The triage workflow on one item: state machine, owner/team, priority, tags, topic, duplicates,
notes. Every change writes a ``TriageEvent`` (who, when, before, after).

Public functions lock the item row; the ``apply_*`` helpers expect a locked item and are what
bulk jobs call chunk by chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers.models import Team
from engagement.platform.errors import Conflict, InvalidInput, NotFound
from voc.models import FeedbackItem, Priority, Topic, TriageState

from ..models import EventKind, ItemTag, Note, Tag, TriageEvent
from .announcements import announce_assigned, announce_resolved

User = get_user_model()

# new → in progress → waiting for customer → resolved, plus "no action needed".
TRANSITIONS: dict[str, frozenset[str]] = {
    TriageState.NEW: frozenset({TriageState.IN_PROGRESS, TriageState.NO_ACTION}),
    TriageState.IN_PROGRESS: frozenset(
        {TriageState.WAITING, TriageState.RESOLVED, TriageState.NO_ACTION}
    ),
    TriageState.WAITING: frozenset({TriageState.IN_PROGRESS, TriageState.RESOLVED}),
    TriageState.RESOLVED: frozenset({TriageState.IN_PROGRESS}),
    TriageState.NO_ACTION: frozenset({TriageState.IN_PROGRESS}),
}


class IllegalTransition(Conflict):
    code = "illegal_transition"


class NotAllowedOwner(InvalidInput):
    code = "invalid_owner"


def state_label(state: str) -> str:
    try:
        return str(TriageState(state).label)
    except ValueError:
        return state


def check_transition(*, current: str, target: str) -> None:
    """Raise ``IllegalTransition`` (message in the active language) unless current → target."""
    if target not in TriageState.values:
        raise InvalidInput(_("Unknown state: %(state)s") % {"state": target}, code="invalid_state")
    if current == target:
        raise IllegalTransition(
            _("The item is already “%(state)s”.") % {"state": state_label(current)}
        )
    if target not in TRANSITIONS.get(current, frozenset()):
        allowed = "、".join(
            str(state_label(s)) for s in TriageState.values if s in TRANSITIONS.get(current, ())
        )
        raise IllegalTransition(
            _("An item cannot go from “%(from)s” to “%(to)s”. Possible next states: %(allowed)s.")
            % {"from": state_label(current), "to": state_label(target), "allowed": allowed}
        )


def allowed_next_states(state: str) -> list[str]:
    return [s for s in TriageState.values if s in TRANSITIONS.get(state, frozenset())]


# Inside ``buffered_events()`` (bulk jobs), events are collected and inserted in one query.
_event_buffer: ContextVar[list[TriageEvent] | None] = ContextVar(
    "triage_event_buffer", default=None
)


@contextmanager
def buffered_events() -> Iterator[None]:
    buffer: list[TriageEvent] = []
    token = _event_buffer.set(buffer)
    try:
        yield
    finally:
        _event_buffer.reset(token)
    TriageEvent.objects.bulk_create(buffer, batch_size=1000)


def record_event(
    *,
    item: FeedbackItem,
    actor: Any,
    kind: str,
    old: object = "",
    new: object = "",
    detail: str = "",
) -> TriageEvent:
    event = TriageEvent(
        item=item,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        old_value=str(old if old is not None else "")[:200],
        new_value=str(new if new is not None else "")[:200],
        detail=detail[:200],
    )
    buffer = _event_buffer.get()
    if buffer is None:
        event.save()
    else:
        event.created_at = timezone.now()
        buffer.append(event)
    return event


def lock_item(*, item_id: int) -> FeedbackItem:
    item = FeedbackItem.objects.select_for_update().filter(id=item_id).first()
    if item is None:
        raise NotFound(_("The feedback item does not exist."))
    return item


# --- helpers on a locked item (bulk jobs call these) ------------------------------------------


def apply_state(*, item: FeedbackItem, actor: Any, state: str) -> bool:
    check_transition(current=item.state, target=state)
    old = item.state
    item.state = state
    item.save(update_fields=["state", "updated_at"])
    record_event(
        item=item, actor=actor, kind=EventKind.STATE, old=state_label(old), new=state_label(state)
    )
    if state == TriageState.RESOLVED and old != state:
        announce_resolved(item=item)
    return True


def apply_assignment(
    *, item: FeedbackItem, actor: Any, owner: Any = ..., team: Team | Any | None = ...
) -> bool:
    changed = []
    if owner is not ... and item.owner_id != (owner.pk if owner else None):
        if owner is not None and not (owner.is_active and owner.is_staff):
            raise NotAllowedOwner(_("Only active staff members can own an item."))
        old = item.owner
        item.owner = owner
        changed.append("owner")
        record_event(item=item, actor=actor, kind=EventKind.OWNER, old=old or "", new=owner or "")
    if team is not ... and item.team_id != (team.pk if team else None):
        old_team = item.team
        item.team = team
        changed.append("team")
        record_event(
            item=item, actor=actor, kind=EventKind.TEAM, old=old_team or "", new=team or ""
        )
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
        announce_assigned(item=item)
    return bool(changed)


def apply_priority(*, item: FeedbackItem, actor: Any, priority: int) -> bool:
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority."), code="invalid_priority")
    if item.priority == priority:
        return False
    old = item.get_priority_display()
    item.priority = priority
    item.save(update_fields=["priority", "updated_at"])
    record_event(
        item=item, actor=actor, kind=EventKind.PRIORITY, old=old, new=item.get_priority_display()
    )
    return True


def apply_due(*, item: FeedbackItem, actor: Any, due_at: datetime | None, detail: str = "") -> bool:
    if item.due_at == due_at:
        return False
    old = item.due_at
    item.due_at = due_at
    item.save(update_fields=["due_at", "updated_at"])
    fmt = "%Y-%m-%d %H:%M"
    record_event(
        item=item,
        actor=actor,
        kind=EventKind.DUE,
        old=timezone.localtime(old).strftime(fmt) if old else "",
        new=timezone.localtime(due_at).strftime(fmt) if due_at else "",
        detail=detail,
    )
    return True


def apply_tag(*, item: FeedbackItem, actor: Any, tag: Tag) -> bool:
    _link, created = ItemTag.objects.get_or_create(item=item, tag=tag)
    if created:
        record_event(item=item, actor=actor, kind=EventKind.TAG, new=tag.name)
    return created


def apply_topic(*, item: FeedbackItem, actor: Any, topic: Topic) -> bool:
    if item.topic_id == topic.id and item.topic_locked:
        return False
    old = item.topic
    item.topic = topic
    item.topic_locked = True  # a staff decision: re-runs keep it
    item.save(update_fields=["topic", "topic_locked", "updated_at"])
    record_event(item=item, actor=actor, kind=EventKind.TOPIC, old=old or "", new=topic.name)
    return True


def apply_duplicate(*, item: FeedbackItem, actor: Any, primary: FeedbackItem) -> bool:
    if primary.id == item.id:
        raise InvalidInput(_("An item cannot be a duplicate of itself."), code="self_duplicate")
    if primary.duplicate_of_id:
        primary = primary.duplicate_of  # always link to the original, never to a chain
        if primary.id == item.id:
            raise InvalidInput(_("An item cannot be a duplicate of itself."), code="self_duplicate")
    if item.duplicate_of_id == primary.id:
        return False
    item.duplicate_of = primary
    item.save(update_fields=["duplicate_of", "updated_at"])
    # Items that pointed at this one now point at the original.
    FeedbackItem.objects.filter(duplicate_of=item).update(duplicate_of=primary)
    record_event(item=item, actor=actor, kind=EventKind.DUPLICATE, new=f"#{primary.id}")
    if item.state in (TriageState.NEW, TriageState.IN_PROGRESS, TriageState.WAITING):
        apply_state(item=item, actor=actor, state=_closing_state(item.state))
    return True


def _closing_state(state: str) -> str:
    return TriageState.NO_ACTION if state != TriageState.WAITING else TriageState.RESOLVED


# --- public services ----------------------------------------------------------------------------


@transaction.atomic
def change_state(*, item_id: int, actor: Any, state: str) -> FeedbackItem:
    item = lock_item(item_id=item_id)
    apply_state(item=item, actor=actor, state=state)
    return item


@transaction.atomic
def assign_item(
    *, item_id: int, actor: Any, owner: Any = ..., team: Team | Any | None = ...
) -> FeedbackItem:
    item = lock_item(item_id=item_id)
    apply_assignment(item=item, actor=actor, owner=owner, team=team)
    return item


@transaction.atomic
def update_triage(
    *,
    item_id: int,
    actor: Any,
    state: str | None = None,
    owner: Any = ...,
    team: Any = ...,
    priority: int | None = None,
    due_at: datetime | Any | None = ...,
    duplicate_of: FeedbackItem | Any | None = ...,
) -> FeedbackItem:
    """Change several triage fields at once (the admin form); all or nothing."""
    item = lock_item(item_id=item_id)
    if state is not None and state != item.state:
        apply_state(item=item, actor=actor, state=state)
    apply_assignment(item=item, actor=actor, owner=owner, team=team)
    if priority is not None:
        apply_priority(item=item, actor=actor, priority=priority)
    if due_at is not ...:
        apply_due(item=item, actor=actor, due_at=due_at)
    if duplicate_of is not ...:
        if duplicate_of is None:
            if item.duplicate_of_id:
                record_event(
                    item=item, actor=actor, kind=EventKind.DUPLICATE, old=f"#{item.duplicate_of_id}"
                )
                item.duplicate_of = None
                item.save(update_fields=["duplicate_of", "updated_at"])
        else:
            apply_duplicate(item=item, actor=actor, primary=duplicate_of)
    return item


def get_or_create_tag(*, name: str) -> Tag:
    name = " ".join((name or "").split())[:50]
    if not name:
        raise InvalidInput(
            _("Enter a tag name."), code="invalid_tag", fields={"tag": [_("Required.")]}
        )
    tag = Tag.objects.filter(name__iexact=name).first()
    return tag or Tag.objects.get_or_create(name=name)[0]


@transaction.atomic
def tag_item(*, item_id: int, actor: Any, name: str) -> Tag:
    item = lock_item(item_id=item_id)
    tag = get_or_create_tag(name=name)
    apply_tag(item=item, actor=actor, tag=tag)
    return tag


@transaction.atomic
def untag_item(*, item_id: int, actor: Any, tag_id: int) -> bool:
    item = lock_item(item_id=item_id)
    link = ItemTag.objects.filter(item=item, tag_id=tag_id).select_related("tag").first()
    if link is None:
        return False
    link.delete()
    record_event(item=item, actor=actor, kind=EventKind.UNTAG, old=link.tag.name)
    return True


@transaction.atomic
def set_item_topic(*, item_id: int, actor: Any, topic: Topic) -> FeedbackItem:
    from voc.services.analysis import refresh_topic_counts

    item = lock_item(item_id=item_id)
    old_topic_id = item.topic_id
    if apply_topic(item=item, actor=actor, topic=topic):
        refresh_topic_counts([t for t in (old_topic_id, topic.id) if t])
    return item


@transaction.atomic
def mark_duplicate(*, item_id: int, actor: Any, primary_id: int) -> FeedbackItem:
    item = lock_item(item_id=item_id)
    primary = FeedbackItem.objects.filter(id=primary_id).first()
    if primary is None:
        raise NotFound(_("The original item #%(id)s does not exist.") % {"id": primary_id})
    apply_duplicate(item=item, actor=actor, primary=primary)
    return item


MENTION_RE = re.compile(r"(?<![\w.])@([\w.+-]{1,150})")


def mentioned_users(body: str) -> list[Any]:
    names = {m.rstrip(".") for m in MENTION_RE.findall(body or "")}
    if not names:
        return []
    return list(User.objects.filter(username__in=names, is_active=True, is_staff=True))


@transaction.atomic
def add_note(*, item_id: int, author: Any, body: str, parent_id: int | None = None) -> Note:
    """An internal note; ``@username`` mentions notify those staff members by e-mail."""
    from .alerts import notify_mention

    body = (body or "").strip()
    if not body:
        raise InvalidInput(
            _("The note is empty."), code="empty_note", fields={"body": [_("Required.")]}
        )
    if len(body) > 10000:
        raise InvalidInput(_("The note is too long (at most 10,000 characters)."), code="long_note")
    item = lock_item(item_id=item_id)
    parent = None
    if parent_id:
        parent = Note.objects.filter(id=parent_id, item=item).first()
        if parent is None:
            raise InvalidInput(_("The note you reply to is not on this item."), code="bad_parent")
    note = Note.objects.create(item=item, parent=parent, author=author, body=body)
    users = mentioned_users(body)
    if users:
        note.mentions.set(users)
    record_event(item=item, actor=author, kind=EventKind.NOTE, detail=body[:100])
    for user in users:
        notify_mention(note=note, user=user)
    return note
