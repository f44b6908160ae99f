"""HTML for an item's clauses (aspects): each span highlighted by its sentiment, with the label
in words beside it (never colour alone) and the clause's topic when the analysis set one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from voc.models import Sentiment, Topic

SENTIMENT_MARKS = {"positive": "＋", "negative": "−", "neutral": "・", "mixed": "±"}


def topic_names(aspect_lists: Iterable[list[dict[str, Any]]]) -> dict[int, str]:
    ids = {
        aspect.get("topic_id")
        for aspects in aspect_lists
        for aspect in aspects or []
        if isinstance(aspect, dict) and aspect.get("topic_id")
    }
    if not ids:
        return {}
    return dict(Topic.objects.filter(id__in=ids).values_list("id", "name"))


def clauses_html(
    aspects: list[dict[str, Any]] | None,
    names: Mapping[int, str] | None = None,
    *,
    compact: bool = False,
) -> SafeString:
    """The clauses as highlighted spans; an empty string when the item has none yet.

    ``compact`` (the inbox list): each clause's sentiment and topic only, its text as a tooltip,
    so a row stays one line high."""
    rows = [aspect for aspect in aspects or [] if isinstance(aspect, dict) and aspect.get("text")]
    if not rows:
        return SafeString("")
    names = names if names is not None else topic_names([rows])
    labels = dict(Sentiment.choices)
    parts = []
    for aspect in rows:
        sentiment = aspect.get("sentiment") if aspect.get("sentiment") in labels else "neutral"
        topic = names.get(aspect.get("topic_id")) if aspect.get("topic_id") else None
        parts.append(
            (
                sentiment,
                aspect["text"],
                SENTIMENT_MARKS[sentiment],
                labels[sentiment],
                format_html('<span class="voc-clause-topic">〔{}〕</span>', topic) if topic else "",
            )
        )
    if compact:
        return format_html(
            '<span class="voc-clauses" aria-label="{}">{}</span>',
            _("Clauses and their sentiment"),
            format_html_join(
                " ",
                '<span class="voc-clause voc-clause-{}" title="{}">'
                '<span class="voc-clause-tag">［{} {}］</span>{}</span>',
                parts,
            ),
        )
    return format_html(
        '<span class="voc-clauses" aria-label="{}">{}</span>',
        _("Clauses and their sentiment"),
        format_html_join(
            " ",
            '<span class="voc-clause voc-clause-{}">{}'
            '<span class="voc-clause-tag">［{} {}］</span>{}</span>',
            parts,
        ),
    )
