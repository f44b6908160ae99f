"""Signal receivers of the reports app.

What reports erase when a customer's personal data is deleted (``customer_forgotten``):
Snapshots are stored JSON: the customer's quotes are removed (by the item id quotes carry, or,
in older snapshots, by any sentence of the customer's own texts found in a quote), then every
remaining string loses the customer's traces. Report exports are built from the snapshot on
request, so they follow.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten
from engagement.customers.valuation import customer_values_refreshed
from engagement.platform.erasure import scrub_json, scrub_rows
from engagement.reports.models import ImprovementAction, ProductArea, Report

# Sentences of the customer's texts this long or longer identify a quote of theirs.
MIN_SENTENCE = 8
_SENTENCE = re.compile(r"[^。！？!?\n]+")


def _sentences(traces: list[str]) -> list[str]:
    found: set[str] = set()
    for trace in traces:
        found.update(s.strip() for s in _SENTENCE.findall(trace) if len(s.strip()) >= MIN_SENTENCE)
    return sorted(found)


def _drop_quotes(node: Any, item_ids: set[int], sentences: list[str]) -> Any:
    if isinstance(node, list):
        return [
            _drop_quotes(child, item_ids, sentences)
            for child in node
            if not _is_their_quote(child, item_ids, sentences)
        ]
    if isinstance(node, dict):
        return {key: _drop_quotes(child, item_ids, sentences) for key, child in node.items()}
    return node


def _is_their_quote(node: Any, item_ids: set[int], sentences: list[str]) -> bool:
    if not (isinstance(node, dict) and isinstance(node.get("text"), str)):
        return False
    if "item_id" in node:
        return node["item_id"] in item_ids
    # Snapshots from before quotes carried their item: a sentence of the customer's own texts.
    return any(sentence in node["text"] for sentence in sentences)


@receiver(customer_forgotten, dispatch_uid="reports-erase-quotes")
def erase_report_quotes(
    sender: Any, *, customer: Customer, now: datetime, traces: list[str] = (), **kwargs: Any
) -> None:
    traces = list(traces)
    item_ids = set(customer.feedback_items.values_list("id", flat=True))
    sentences = _sentences(traces)
    for report in Report.objects.exclude(data={}).order_by("id").iterator():
        data = scrub_json(_drop_quotes(report.data, item_ids, sentences), traces)
        if data != report.data:
            Report.objects.filter(id=report.id).update(data=data, updated_at=now)
    scrub_rows(Report.objects.all(), text_fields=["title", "error"], traces=traces)
    scrub_rows(ImprovementAction.objects.all(), text_fields=["title", "description"], traces=traces)
    scrub_rows(ProductArea.objects.all(), text_fields=["description"], traces=traces)


@receiver(customer_values_refreshed, dispatch_uid="reports-refresh-knowledge-values")
def refresh_knowledge_values(sender: Any, **kwargs: Any) -> dict[str, int]:
    """Reports' part of the customer-value refresh: CKV."""
    from engagement.reports.knowledge import refresh_knowledge_values as refresh

    return {"CKV": refresh()}
