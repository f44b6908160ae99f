"""Erasing a person's traces from stored text and JSON (used by every app's forget receiver).

``forget_customer`` collects the customer's *traces* — name, e-mail, customer
ID, attribute values such as a phone number, and the free texts the customer wrote — and each
app scrubs its own columns with ``scrub_rows``: every occurrence of a trace in a text column,
or in any string inside a JSON column, is replaced by ``ERASED``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

ERASED = "[削除済み]"
# Traces shorter than this are not searched for (a one-character name part would erase too much).
MIN_TRACE = 2


def clean_traces(values: Iterable[Any]) -> list[str]:
    """Distinct, stripped traces, longest first (so a full name goes before its parts)."""
    found: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            continue
        value = value.strip()
        if len(value) >= MIN_TRACE:
            found.add(value)
    return sorted(found, key=lambda text: (-len(text), text))


def _pattern(traces: list[str]) -> re.Pattern[str] | None:
    if not traces:
        return None
    return re.compile("|".join(re.escape(trace) for trace in traces), flags=re.IGNORECASE)


def scrub_text(text: str, traces: list[str], *, replacement: str = ERASED) -> str:
    pattern = _pattern(traces)
    return pattern.sub(replacement, text) if pattern and text else text


def scrub_json(value: Any, traces: list[str], *, replacement: str = ERASED) -> Any:
    """``value`` with every trace replaced inside its strings (keys included)."""
    pattern = _pattern(traces)
    if pattern is None:
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return pattern.sub(replacement, node)
        if isinstance(node, list):
            return [walk(child) for child in node]
        if isinstance(node, dict):
            return {walk(key): walk(child) for key, child in node.items()}
        return node

    return walk(value)


def contains_trace(value: Any, traces: list[str]) -> bool:
    return scrub_json(value, traces, replacement="\0") != value


def scrub_rows(
    queryset: QuerySet[Any],
    *,
    text_fields: Iterable[str] = (),
    json_fields: Iterable[str] = (),
    traces: list[str],
) -> int:
    """Replace ``traces`` in the given columns of the rows of ``queryset``; returns rows changed.

    Text columns are narrowed in the database (``icontains``); JSON columns are read and
    checked in Python (JSON text in the database may escape non-ASCII characters).
    """
    text_fields, json_fields = list(text_fields), list(json_fields)
    if not traces or not (text_fields or json_fields):
        return 0
    if not json_fields:
        condition = Q()
        for name in text_fields:
            for trace in traces:
                condition |= Q(**{f"{name}__icontains": trace})
        queryset = queryset.filter(condition)
    changed = 0
    for row in queryset.only("pk", *text_fields, *json_fields).iterator():
        updates: dict[str, Any] = {}
        for name in text_fields:
            value = getattr(row, name)
            if value and contains_trace(value, traces):
                updates[name] = scrub_text(value, traces)
        for name in json_fields:
            value = getattr(row, name)
            if value and contains_trace(value, traces):
                updates[name] = scrub_json(value, traces)
        if updates:
            type(row)._default_manager.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed
