"""How still the topics hold across re-runs (``manage.py bench stability`` and the tests).

``measure_stability(texts, extra)`` — in the current database transaction — creates one item per
text, runs the full analysis twice, then adds the ``extra`` texts and runs it a third time.
Reported: the number of listed topics each time, the share of items that kept their topic id
on the second run, the share of the first items that kept a topic with the same id and the same
label after the additions, and how many listed topics have no items.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

HANDWRITTEN = Path(settings.BASE_DIR) / "tests" / "data" / "voc_handwritten" / "voc_handwritten.csv"


def _snapshot() -> tuple[dict[int, int | None], dict[int, str]]:
    from voc.models import FeedbackItem, Topic

    items = dict(FeedbackItem.objects.values_list("id", "topic_id"))
    names = dict(Topic.objects.values_list("id", "name"))
    return items, names


def _listed() -> tuple[int, int]:
    from voc.selectors import active_topics

    listed = [t for t in active_topics() if not t.is_other]
    return len(listed), sum(1 for t in listed if t.item_count == 0)


def _create(texts: Sequence[str], prefix: str) -> None:
    from django.utils import timezone

    from voc.models import FeedbackItem

    now = timezone.now()
    FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(text=text, channel="survey", received_at=now, external_id=f"{prefix}-{i}")
            for i, text in enumerate(texts)
        ]
    )


def measure_stability(texts: Sequence[str], extra: Sequence[str]) -> list[dict[str, Any]]:
    from voc.services import run_analysis

    _create(texts, "stability")
    first = run_analysis()
    items_1, _names_1 = _snapshot()
    topics_1, empty_1 = _listed()
    second = run_analysis()
    items_2, names_2 = _snapshot()
    topics_2, empty_2 = _listed()
    kept = sum(1 for i, t in items_1.items() if items_2.get(i) == t)
    rows: list[dict[str, Any]] = [
        {
            "stage": "second run, same items",
            "items": len(items_1),
            "topics_first": topics_1,
            "topics_second": topics_2,
            "kept_topic_id_share": round(kept / max(1, len(items_1)), 4),
            "listed_empty_topics": empty_1 + empty_2,
            "k_selection": first.selection.get("criterion"),
            "warm_start": bool(second.selection.get("warm_start")),
        }
    ]
    _create(extra, "stability-extra")
    third = run_analysis()
    items_3, names_3 = _snapshot()
    topics_3, empty_3 = _listed()
    same = sum(
        1
        for i, t in items_2.items()
        if t is not None and items_3.get(i) == t and names_3.get(t) == names_2.get(t)
    )
    rows.append(
        {
            "stage": f"+{len(extra)} items ({100 * len(extra) / max(1, len(texts)):.1f}%)",
            "items": len(items_3),
            "topics_before": topics_2,
            "topics_after": topics_3,
            "kept_topic_id_and_label_share": round(same / max(1, len(items_2)), 4),
            "listed_empty_topics": empty_3,
            "warm_start": bool(third.selection.get("warm_start")),
        }
    )
    return rows


def stability_texts(*, quasi: int = 1_000) -> list[str]:
    """Texts no generator of ours wrote: voc_dev, the hand-written set, quasi-review sentences."""
    from voc.evaluation import quasi_reviews_rows, shared_data_dir

    texts: list[str] = []
    shared = shared_data_dir()
    if shared is not None and (shared / "voc_dev" / "voc_dev.csv").exists():
        with open(shared / "voc_dev" / "voc_dev.csv", encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    if HANDWRITTEN.exists():
        with open(HANDWRITTEN, encoding="utf-8") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    if shared is not None and quasi and (shared / "quasi_japanese_reviews").exists():
        sentences = [
            row["text"]
            for row in quasi_reviews_rows(shared / "quasi_japanese_reviews", unit="sentence")
        ]
        step = max(1, len(sentences) // quasi)
        texts += sentences[::step][:quasi]
    return texts
