"""Reads for VoC: keyword search by token, the user dictionary, topic statistics."""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from surveys import figures
from surveys.filters import AnalysisFilters
from voc.filters import feedback_items
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
        # The word itself or its negated form (解約_ない) is a whole token: found in SQL. Inside
        # a longer token (a compound), it must be whole words of it: 朝食 in 朝食会場 (朝食 +
        # 会場) yes, レジ in クレジットカード (クレジット + カード) no — checked on the
        # items' morphemes, for those candidates only.
        whole = Q(token_text__contains=f" {token} ") | Q(
            token_text__contains=f" {token}{NEGATION_SUFFIX} "
        )
        inside = queryset.filter(token_text__contains=token).exclude(whole)
        morphemes = keyword_morphemes(token)
        verified = [
            item_id
            for item_id, text in inside.values_list("id", "normalized_text").iterator()
            if find_morphemes(text or "", morphemes) is not None
        ]
        queryset = queryset.filter(whole | Q(id__in=verified))
    return queryset


def morpheme_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, lemma, surface) of each word of a normalised text (character offsets)."""
    from voc.tokenize import READABLE, _base, tagger

    spans = []
    position = 0
    for line in tagger().parse(text).split("\n"):
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        surface = fields[0]
        start = text.find(surface, position)
        if start < 0:
            continue
        position = start + len(surface)
        lemma = _base(fields[1] or surface)
        spans.append((start, position, READABLE.get(lemma, lemma), surface))
    return spans


def keyword_morphemes(keyword: str) -> list[tuple[str, str]]:
    """(lemma, surface) of the words of a keyword, as ``find_morphemes`` matches them."""
    from voc.normalize import normalize_text

    return [(lemma, surface) for _s, _e, lemma, surface in morpheme_spans(normalize_text(keyword))]


def find_morphemes(
    text: str, morphemes: list[tuple[str, str]], spans: list | None = None
) -> tuple[int, int] | None:
    """The first (start, end) in ``text`` where the keyword's words occur as whole words
    (each by lemma or surface, one after the other), or None."""
    if not morphemes:
        return None
    spans = morpheme_spans(text) if spans is None else spans
    size = len(morphemes)
    for index in range(len(spans) - size + 1):
        if all(
            spans[index + offset][2] == lemma or spans[index + offset][3] == surface
            for offset, (lemma, surface) in enumerate(morphemes)
        ):
            return spans[index][0], spans[index + size - 1][1]
    return None


def latest_model_run() -> AnalysisRun | None:
    return (
        AnalysisRun.objects.filter(status=AnalysisRunStatus.DONE, model__isnull=False)
        .order_by("-finished_at", "-id")
        .first()
    )


def visible_items(user: Any) -> QuerySet[FeedbackItem]:
    """The entry point of every VoC page and endpoint: the items ``user`` may see."""
    return FeedbackItem.objects.visible_to(user)


def active_topics() -> QuerySet[Topic]:
    return Topic.objects.filter(is_active=True).order_by("is_other", "-item_count", "id")


def topic_mentions(
    items: QuerySet[FeedbackItem], topic_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Items (of ``items``: start from ``visible_items``) that mention each topic in at least
    one clause (``FeedbackItem.aspects``), or whose primary topic it is: one comment counts for
    every topic it speaks of."""
    wanted = set(topic_ids) if topic_ids is not None else None
    if connection.vendor == "postgresql":
        return _topic_mentions_sql(items, wanted)
    counts: Counter[int] = Counter()
    last = 0
    queryset = items.exclude(topic=None).order_by("id")
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


def _topic_mentions_sql(items: QuerySet[FeedbackItem], wanted: set[int] | None) -> dict[int, int]:
    """``topic_mentions`` as one aggregate in PostgreSQL: each item's primary topic and the
    topics of its clauses, distinct per item, counted per topic (the items are not read into
    Python: at a million items the batched read took seconds)."""
    try:
        sql, params = (
            items.exclude(topic=None).order_by().values("id", "topic_id", "aspects").query
        ).sql_with_params()
    except EmptyResultSet:
        return {}
    statement = (
        f"SELECT m.t, COUNT(*) FROM ({sql}) i CROSS JOIN LATERAL ("  # noqa: S608 (ORM-built SQL, values as parameters)
        "SELECT i.topic_id AS t UNION SELECT (a ->> 'topic_id')::numeric::bigint "
        "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(i.aspects) = 'array' "
        "THEN i.aspects ELSE '[]'::jsonb END) a "
        "WHERE jsonb_typeof(a) = 'object' AND jsonb_typeof(a -> 'topic_id') = 'number' "
        "AND (a ->> 'topic_id')::numeric <> 0) m GROUP BY m.t"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return {topic: n for topic, n in rows if wanted is None or topic in wanted}


def topic_overview(
    *, user: Any, weeks: int = 8, now: Any = None, filters: AnalysisFilters | None = None
) -> list[dict[str, Any]]:
    """One row per active topic: volume, share, weekly trend, NPS mix and mean, sentiment mix
    — counted over the items ``user`` may see that the shared ``filters`` select. The share is
    of every item in that scope and the NPS is ``surveys.figures``' (as the dashboard and the
    reports show them)."""
    now = now or timezone.now()
    topics = list(active_topics())
    visible = feedback_items(filters or AnalysisFilters(), base=visible_items(user))
    items = visible.filter(topic__in=topics)
    total = visible.count()
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
            mixed=Count("id", filter=Q(sentiment="mixed")),
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
    mentions = topic_mentions(visible, (topic.id for topic in topics))
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
                "share": figures.share(n, total),
                "trend": [trend[topic.id].get(week, 0) for week in week_starts],
                "promoters": row.get("promoters", 0),
                "passives": row.get("passives", 0),
                "detractors": row.get("detractors", 0),
                "nps_responses": nps_total,
                "nps": figures.shown_nps(figures.nps_from_counts(row).nps),
                "nps_reference": figures.reference(nps_total),
                "average_nps": row.get("nps"),
                "positive": row.get("positive", 0),
                "neutral": row.get("neutral", 0),
                "negative": row.get("negative", 0),
                "mixed": row.get("mixed", 0),
            }
        )
    return rows


def topic_quotes(topic: Topic, *, user: Any) -> list[FeedbackItem]:
    by_id = visible_items(user).in_bulk(topic.quote_ids or [])
    return [by_id[item_id] for item_id in topic.quote_ids or [] if item_id in by_id]


def keyword_in_context(
    queryset: QuerySet[FeedbackItem],
    keyword: str,
    *,
    width: int = 20,
    limit: int = 100,
    mask: Callable[[FeedbackItem, str], str] | None = None,
) -> list[dict[str, Any]]:
    """KWIC lines: left context, the keyword as written, right context (normalised text), and
    the item's page (``url``). ``mask`` (item, text → text shown) is applied to the whole text
    before it is cut, so that no part of a masked name or number is left at a line's edge.

    The keyword is located by whole words (レジ is never highlighted inside クレジットカード;
    届く highlights 届か in 届かない), through the same lemmas the search matched on.
    """
    from django.urls import reverse

    from voc.normalize import normalize_text

    keyword = (keyword or "").strip()
    if not keyword:
        return []
    morphemes = keyword_morphemes(keyword)
    content = [
        keyword_morphemes(token) for token in keyword_tokens(keyword)
    ]  # each content word alone, when the phrase as a whole is not found
    lines = []
    for item in filter_by_keyword(queryset, keyword).order_by("-received_at", "-id")[: limit * 3]:
        text = item.normalized_text or normalize_text(item.text)
        if mask is not None:
            text = mask(item, text)
        spans = morpheme_spans(text)
        found = find_morphemes(text, morphemes, spans)
        for words in content:
            if found is not None:
                break
            found = find_morphemes(text, words, spans)
        position, end = found if found is not None else (0, 0)
        lines.append(
            {
                "item": item,
                "url": reverse("admin:voc_feedbackitem_change", args=[item.id]),
                "left": text[max(0, position - width) : position],
                "keyword": text[position:end],
                "right": text[end : end + width],
            }
        )
        if len(lines) >= limit:
            break
    return lines


def co_occurrence(
    token_lists: Iterable[list[str]], *, top: int = 30, min_count: int = 2
) -> dict[str, Any]:
    """KH Coder-style co-occurrence of the most frequent terms (Jaccard over items), by lemma:
    a negated form counts as its word (届かない and 届く are both 届く)."""
    frequency: Counter[str] = Counter()
    documents = []
    for tokens in token_lists:
        unique = {token.removesuffix(NEGATION_SUFFIX) for token in tokens}
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


# --- feedback as staff may see it; coding rules by segment (issue 12 §6) --------------------


SEGMENTS = ("nps", "channel", "wave", "store")
CODING_ITEMS = 20_000  # the most recent items the coding page tabulates


def segment_label(segment: str, row: dict[str, Any]) -> str:
    from django.utils.translation import gettext as _

    from voc.models import Channel

    if segment == "nps":
        return {
            "promoter": _("Promoters"),
            "passive": _("Passives"),
            "detractor": _("Detractors"),
        }.get(row["nps_category"] or "", _("No NPS"))
    if segment == "channel":
        return str(dict(Channel.choices).get(row["channel"], row["channel"] or _("(none)")))
    if segment == "wave":
        return row["response__survey__wave__name"] or _("(no survey)")
    if segment == "store":
        attributes = row["attributes"] if isinstance(row["attributes"], dict) else {}
        store = attributes.get("store") or attributes.get("店舗")
        return str(store).strip() if store else _("(none)")
    raise ValueError(segment)


def coded_items(
    queryset: QuerySet[FeedbackItem], segment: str, *, limit: int = CODING_ITEMS
) -> list[tuple[str, frozenset[str], str]]:
    """(segment label, terms, normalised text) of the most recent analysed items."""
    from voc.coding import item_terms

    if segment not in SEGMENTS:
        raise ValueError(segment)
    rows = (
        queryset.exclude(tokenized_at=None)
        .order_by("-received_at", "-id")
        .values(
            "tokens",
            "normalized_text",
            "nps_category",
            "channel",
            "response__survey__wave__name",
            "attributes",
        )[:limit]
    )
    return [
        (segment_label(segment, row), item_terms(row["tokens"] or []), row["normalized_text"])
        for row in rows
    ]


def coding_overview(
    queryset: QuerySet[FeedbackItem], segment: str, *, top_words: int = 40
) -> dict[str, Any]:
    """The active codes' frequency by segment and the words × segments CA map."""
    from voc.coding import ca_map, frequency_table, parse_expression
    from voc.models import CodingRule

    codes = [
        (rule.name, parse_expression(rule.expression, tokenizer=keyword_tokens))
        for rule in CodingRule.objects.filter(active=True).order_by("name", "id")
    ]
    items = coded_items(queryset, segment)
    return {
        "segment": segment,
        "table": frequency_table(codes, items),
        "map": ca_map([(label, terms) for label, terms, _text in items], top=top_words),
    }
