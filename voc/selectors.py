"""Reads for VoC: keyword search by token, the user dictionary, topic statistics."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from voc.models import (
    AnalysisRun,
    AnalysisRunStatus,
    AnalysisSettings,
    DictionaryEntryKind,
    FeedbackItem,
    Topic,
    UserDictionaryEntry,
)
from voc.tokenize import NEGATION_SUFFIX, Lexicon, tokenize


def dictionary_key(term: str) -> str:
    """The token a dictionary word stands for (one token when the tokeniser finds one)."""
    tokens = tokenize(term)
    if len(tokens) == 1:
        return tokens[0]
    return unicodedata.normalize("NFKC", term).strip()


def analysis_settings() -> AnalysisSettings:
    settings_row = AnalysisSettings.objects.order_by("id").first()
    if settings_row is None:
        settings_row = AnalysisSettings.objects.create()
    return settings_row


_lexicon_cache: dict[str, Lexicon] = {}


def current_lexicon() -> Lexicon:
    """The user dictionary as the tokeniser uses it (rebuilt when its version changes)."""
    version = analysis_settings().dictionary_version
    cached = _lexicon_cache.get("lexicon")
    if cached is not None and cached.version == version:
        return cached
    synonyms: dict[str, str] = {}
    stop_words: set[str] = set()
    for entry in UserDictionaryEntry.objects.order_by("term"):
        key = dictionary_key(entry.term)
        if entry.kind == DictionaryEntryKind.STOP_WORD:
            stop_words.add(key)
        else:
            synonyms[key] = dictionary_key(entry.canonical)
    lexicon = Lexicon(synonyms=synonyms, stop_words=frozenset(stop_words), version=version)
    _lexicon_cache["lexicon"] = lexicon
    return lexicon


def keyword_tokens(keyword: str, lexicon: Lexicon | None = None) -> list[str]:
    tokens = tokenize(keyword, lexicon or current_lexicon())
    return [token.removesuffix(NEGATION_SUFFIX) for token in tokens]


def filter_by_keyword(queryset: QuerySet[FeedbackItem], keyword: str) -> QuerySet[FeedbackItem]:
    """Items whose tokens contain every token of ``keyword`` (解約 finds 解約したい, 解約できない).

    The keyword is tokenised like the items (normalisation, lemmas, user dictionary), so 退会 finds
    解約 when staff made them synonyms, 届く finds 届かない, and 使いにくい does not find
    使いやすい. A keyword token also matches the compounds that contain it (朝食 finds 朝食会場).
    A keyword with no content token (only particles, or blank) matches by plain text instead.
    """
    keyword = (keyword or "").strip()
    if not keyword:
        return queryset
    tokens = keyword_tokens(keyword)
    if not tokens:
        return queryset.filter(text__icontains=keyword)
    for token in tokens:
        # Inside one token (tokens hold no spaces): the word itself, its negated form
        # (解約_ない) and compounds that contain it (朝食 → 朝食会場).
        queryset = queryset.filter(token_text__contains=token)
    return queryset


def latest_model_run() -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(status=AnalysisRunStatus.DONE, model__isnull=False)
        .order_by("-finished_at", "-id")
        .first()
    )


def active_topics() -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True).order_by("is_other", "-item_count", "id")


def topic_mentions(topic_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Items that mention each topic in at least one clause (``FeedbackItem.aspects``), or whose
    primary topic it is: one comment counts for every topic it speaks of."""
    wanted = set(topic_ids) if topic_ids is not None else None
    counts: Counter[int] = Counter()
    last = 0
    queryset = FeedbackItem.objects.exclude(topic=None).order_by("id")
    while True:
        rows = list(queryset.filter(id__gt=last).values_list("id", "topic_id", "aspects")[:5_000])
        if not rows:
            break
        last = rows[-1][0]
        for _id, topic_id, aspects in rows:
            mentioned = {topic_id}
            for aspect in aspects or []:
                if isinstance(aspect, dict) and aspect.get("topic_id"):
                    mentioned.add(aspect["topic_id"])
            for topic in mentioned:
                if wanted is None or topic in wanted:
                    counts[topic] += 1
    return dict(counts)


def topic_overview(*, weeks: int = 8, now: Any = None) -> list[dict[str, Any]]:
    """One row per active topic: volume, share, weekly trend, NPS mix and mean, sentiment mix."""
    now = now or timezone.now()
    topics = list(active_topics())
    items = FeedbackItem.objects.filter(topic__in=topics)
    total = FeedbackItem.objects.exclude(topic=None).count() or 1
    counts = {
        row["topic"]: row
        for row in items.values("topic").annotate(
            n=Count("id"),
            nps=Avg("nps_score"),
            promoters=Count("id", filter=Q(nps_category="promoter")),
            passives=Count("id", filter=Q(nps_category="passive")),
            detractors=Count("id", filter=Q(nps_category="detractor")),
            positive=Count("id", filter=Q(sentiment="positive")),
            neutral=Count("id", filter=Q(sentiment="neutral")),
            negative=Count("id", filter=Q(sentiment="negative")),
        )
    }
    since = now - timedelta(weeks=weeks)
    week_starts = [
        (timezone.localtime(now) - timedelta(weeks=offset)).date() for offset in range(weeks)
    ]
    week_starts = sorted({day - timedelta(days=day.weekday()) for day in week_starts})
    trend: dict[int, dict[Any, int]] = defaultdict(dict)
    for row in (
        items.filter(received_at__gte=since)
        .annotate(week=TruncWeek("received_at"))
        .values("topic", "week")
        .annotate(n=Count("id"))
        .order_by("topic", "week")
    ):
        week = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        trend[row["topic"]][week] = row["n"]
    mentions = topic_mentions(topic.id for topic in topics)
    rows = []
    for topic in topics:
        row = counts.get(topic.id, {})
        n = row.get("n", 0)
        nps_total = row.get("promoters", 0) + row.get("passives", 0) + row.get("detractors", 0)
        rows.append(
            {
                "topic": topic,
                "count": n,
                # Items mentioning the topic in any clause (≥ count: several topics a comment).
                "mentions": mentions.get(topic.id, n),
                "share": n / total,
                "trend": [trend[topic.id].get(week, 0) for week in week_starts],
                "promoters": row.get("promoters", 0),
                "passives": row.get("passives", 0),
                "detractors": row.get("detractors", 0),
                "nps_responses": nps_total,
                "nps": (
                    round(100 * (row.get("promoters", 0) - row.get("detractors", 0)) / nps_total)
                    if nps_total
                    else None
                ),
                "average_nps": row.get("nps"),
                "positive": row.get("positive", 0),
                "neutral": row.get("neutral", 0),
                "negative": row.get("negative", 0),
            }
        )
    return rows


def topic_quotes(topic: Topic) -> list[FeedbackItem]:
    by_id = FeedbackItem.objects.in_bulk(topic.quote_ids or [])
    return [by_id[item_id] for item_id in topic.quote_ids or [] if item_id in by_id]


def keyword_in_context(
    queryset: QuerySet[FeedbackItem], keyword: str, *, width: int = 20, limit: int = 100
) -> list[dict[str, Any]]:
    """KWIC lines: left context, the keyword as written, right context (from the original text)."""
    from voc.normalize import normalize_text

    keyword = (keyword or "").strip()
    if not keyword:
        return []
    needle = normalize_text(keyword)
    lines = []
    for item in filter_by_keyword(queryset, keyword).order_by("-received_at", "-id")[: limit * 3]:
        text = normalize_text(item.text)
        position = text.find(needle)
        if position < 0:
            # Found by lemma (解約 in 解約したい is literal; 届か for 届く is not): show the start.
            position, length = 0, 0
        else:
            length = len(needle)
        lines.append(
            {
                "item": item,
                "left": text[max(0, position - width) : position],
                "keyword": text[position : position + length],
                "right": text[position + length : position + length + width],
            }
        )
        if len(lines) >= limit:
            break
    return lines


def co_occurrence(
    token_lists: Iterable[list[str]], *, top: int = 30, min_count: int = 2
) -> dict[str, Any]:
    """KH Coder-style co-occurrence of the most frequent terms (Jaccard over items)."""
    frequency: Counter[str] = Counter()
    documents = []
    for tokens in token_lists:
        unique = set(tokens)
        documents.append(unique)
        frequency.update(unique)
    terms = [term for term, count in frequency.most_common(top) if count >= min_count]
    chosen = set(terms)
    pair_counts: Counter[tuple[str, str]] = Counter()
    for unique in documents:
        present = sorted(unique & chosen)
        for i, left in enumerate(present):
            for right in present[i + 1 :]:
                pair_counts[(left, right)] += 1
    edges = []
    for (left, right), both in pair_counts.items():
        union = frequency[left] + frequency[right] - both
        edges.append(
            {
                "source": left,
                "target": right,
                "count": both,
                "jaccard": both / union if union else 0,
            }
        )
    edges.sort(key=lambda edge: (-edge["jaccard"], -edge["count"], edge["source"]))
    return {
        "terms": [{"term": term, "count": frequency[term]} for term in terms],
        "edges": edges[: top * 2],
    }
