"""A full analysis run again after a killed one: same topics, same assignment, orphan closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from voc.models import AnalysisRun, FeedbackItem, Topic

MOODS = ["遅い", "高い", "分かりにくい"]


@pytest.mark.django_db
def test_analysis_re_run_after_a_killed_one_keeps_topics_and_closes_the_orphan():
    from voc import tasks

    now = timezone.now()
    themes = {
        "billing": ["請求", "料金", "支払い", "引き落とし", "明細"],
        "delivery": ["配送", "配達", "荷物", "到着", "梱包"],
    }
    FeedbackItem.objects.bulk_create(
        FeedbackItem(
            text=f"{words[i % 5]}について。{words[(i + 2) % 5]}が{MOODS[i % 3]}です。",
            channel="review",
            received_at=now,
            external_id=f"{label}-{i}",
        )
        for label, words in themes.items()
        for i in range(40)
    )
    orphan = AnalysisRun.objects.create(started_at=now - timedelta(minutes=5))  # killed worker
    first = AnalysisRun.objects.get(id=tasks.run_analysis())
    topics = set(Topic.objects.filter(is_active=True).values_list("id", flat=True))
    assignment = dict(FeedbackItem.objects.values_list("id", "topic_id"))
    AnalysisRun.objects.get(id=tasks.run_analysis())
    assert AnalysisRun.objects.get(id=orphan.id).status == "failed"
    assert first.status == "done"
    assert set(Topic.objects.filter(is_active=True).values_list("id", flat=True)) == topics
    assert dict(FeedbackItem.objects.values_list("id", "topic_id")) == assignment
