"""Topic mentions on PostgreSQL: one aggregate over the items' primary topics and clause
aspects, the same counts as the Python reading of each item (which SQLite keeps)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from voc import selectors
from voc.models import FeedbackItem, Topic

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_mentions_count_each_topic_an_item_speaks_of_once(monkeypatch, django_assert_num_queries):
    assert connection.vendor == "postgresql"
    a, b, c = (Topic.objects.create(name=name) for name in ("配送", "アプリ", "料金"))
    now = timezone.now()
    aspects_of_items = [
        [],  # the primary topic only
        [{"topic_id": a.id}, {"topic_id": b.id}, {"topic_id": b.id}],  # b once, a is primary
        [{"topic_id": None}, {"text": "no topic"}, "not a clause", {"topic_id": 0}],
        [{"topic_id": c.id, "text": "高い"}],
        {"not": "a list"},
    ]
    for index, aspects in enumerate(aspects_of_items):
        FeedbackItem.objects.create(
            text=f"コメント{index}", channel="review", received_at=now, topic=a, aspects=aspects
        )
    FeedbackItem.objects.create(  # no primary topic: not counted, as before
        text="未分類", channel="review", received_at=now, aspects=[{"topic_id": c.id}]
    )
    items = FeedbackItem.objects.all()
    expected = {a.id: 5, b.id: 1, c.id: 1}
    with django_assert_num_queries(1):  # one aggregate, the items are not read into Python
        assert selectors.topic_mentions(items) == expected
    assert selectors.topic_mentions(items, [b.id, c.id]) == {b.id: 1, c.id: 1}
    assert selectors.topic_mentions(items.none()) == {}
    # The Python reading of each item (SQLite's path) gives the same counts.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert selectors.topic_mentions(items) == expected
