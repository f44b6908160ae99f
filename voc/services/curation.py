"""Staff corrections of topics; every one of them survives the next full analysis.

- rename: ``name_is_custom`` keeps the name (the analysis only refreshes its terms).
- merge: the source's items move to the target, the source is retired (``merged_into``); a
  re-run maps every cluster that was mostly the target's items back onto the target.
- split: chosen items move to a new, staff-named topic and are locked there.
- move: one item goes to a topic and is locked (``topic_locked``): re-runs leave it there.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from engagement.platform.errors import InvalidInput
from voc.models import FeedbackItem, Topic
from voc.services.analysis import refresh_topic_counts


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter a name for the topic."), fields={"name": [_("Required.")]})
    if len(name) > 200:
        raise InvalidInput(_("The name is too long (200 characters at most)."))
    return name


def rename_topic(*, topic: Topic, name: str) -> Topic:
    topic.name = _clean_name(name)
    topic.name_is_custom = True
    topic.save(update_fields=["name", "name_is_custom", "updated_at"])
    return topic


@transaction.atomic
def merge_topics(*, sources: Sequence[Topic], target: Topic) -> Topic:
    if target.is_other or not target.is_active:
        raise InvalidInput(_("Topics can only be merged into an active topic."))
    sources = [topic for topic in sources if topic.id != target.id]
    if not sources:
        raise InvalidInput(_("Choose at least one other topic to merge."))
    if any(topic.is_other for topic in sources):
        raise InvalidInput(_("The “other” bucket cannot be merged into a topic."))
    ids = [topic.id for topic in sources]
    FeedbackItem.objects.filter(topic_id__in=ids).update(topic=target)
    Topic.objects.filter(id__in=ids).update(merged_into=target, is_active=False, item_count=0)
    # Topics merged earlier into a source now point at the target.
    Topic.objects.filter(merged_into_id__in=ids).update(merged_into=target)
    quotes = list(dict.fromkeys([*target.quote_ids, *[q for t in sources for q in t.quote_ids]]))
    target.quote_ids = quotes[:5]
    target.save(update_fields=["quote_ids", "updated_at"])
    refresh_topic_counts([target.id, *ids])
    target.refresh_from_db()
    return target


@transaction.atomic
def split_topic(*, topic: Topic, item_ids: Sequence[int], name: str) -> Topic:
    name = _clean_name(name)
    items = FeedbackItem.objects.filter(topic=topic, id__in=item_ids)
    if not items.exists():
        raise InvalidInput(_("Choose at least one item of this topic to split off."))
    new_topic = Topic.objects.create(name=name, name_is_custom=True, terms=[])
    moved = list(items.values_list("id", flat=True))
    FeedbackItem.objects.filter(id__in=moved).update(topic=new_topic, topic_locked=True)
    new_topic.quote_ids = moved[:5]
    new_topic.save(update_fields=["quote_ids", "updated_at"])
    refresh_topic_counts([topic.id, new_topic.id])
    new_topic.refresh_from_db()
    return new_topic


@transaction.atomic
def move_item(*, item: FeedbackItem, topic: Topic) -> FeedbackItem:
    if not topic.is_active:
        raise InvalidInput(_("Items can only be moved to an active topic."))
    old = item.topic_id
    item.topic = topic
    item.topic_locked = True
    item.save(update_fields=["topic", "topic_locked", "updated_at"])
    refresh_topic_counts([tid for tid in (old, topic.id) if tid])
    return item
