"""Tokenisation, sentiment and topic assignment of feedback items; the full topic analysis.

- ``analyze_items(item_ids=…)``: normalise + tokenise (user dictionary) + sentiment, stored once
  per item, and assignment to the existing topics (the latest run's model) — the path a new
  item takes on arrival, and the unit of work of a Celery chunk task.
- ``dispatch_tokenization()``: enqueue one ``voc.analyze_chunk`` task per chunk of ids that need
  (re-)tokenising, so more workers on more machines go faster.
- ``run_analysis()``: the full re-run: cluster everything (``voc.topics``), match the new clusters
  to the existing topics so that topic identity survives, keep staff corrections, store labels,
  quotes and counts, and save the model that assigns new items until the next run.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.platform import outbox
from voc import labels as phrase_labels
from voc import sentiment, topics
from voc.aspects import clause_topics, with_clause_tokens
from voc.clauses import clauses_with_tokens_many
from voc.models import (
    AnalysisRun,
    AnalysisRunStatus,
    FeedbackItem,
    SkipReason,
    Topic,
)
from voc.selectors import analysis_settings, current_lexicon, latest_model_run
from voc.tokenize import Lexicon, join_tokens

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2_000
LABEL_SAMPLE = 100  # texts per topic read to choose its phrase label
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
MATCH_SHARE = 0.5  # a new cluster keeps an old topic's id when most of its items were in it
TERM_MATCH = 0.3  # … or, failing that, when their top terms overlap this much (Jaccard)

_model_cache: dict[tuple[int, str], topics.TopicModel] = {}


def _current_model() -> topics.TopicModel | None:
    run = latest_model_run()
    if run is None:
        return None
    key = (run.id, run.started_at.isoformat())  # ids are reused after a rollback (tests)
    model = _model_cache.get(key)
    if model is None:
        model = topics.TopicModel.from_bytes(run.model)
        _model_cache.clear()
        _model_cache[key] = model
    return model


def other_topic() -> Topic:
    topic = Topic.objects.filter(is_other=True).order_by("id").first()
    if topic is None:
        with translation.override(settings.LANGUAGE_CODE):
            topic = Topic.objects.create(name=_("Other / unassigned"), is_other=True)
    return topic


def _json_param() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


def _update_rows(
    *, sets: str, columns: list[tuple[str, str]], rows: Sequence[tuple[Any, ...]], where: str = ""
) -> None:
    """UPDATE voc_feedbackitem from rows whose last value is the id.

    PostgreSQL: one ``UPDATE … FROM (VALUES …)`` statement per 1,000 rows (a round trip per row
    would dominate); SQLite (in-process): ``executemany``. ``columns`` are (name, SQL type) of
    the row values, ``sets`` the SET clause over ``v.<name>``. Every piece is a constant of this
    module; values are always parameters.
    """
    if not rows:
        return
    names = [name for name, _type in columns]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            casts = ", ".join(f"%s::{sql_type}" for _name, sql_type in columns)
            for start in range(0, len(rows), 1000):
                chunk = rows[start : start + 1000]
                values = ", ".join([f"({casts})"] * len(chunk))
                sql = (
                    f"UPDATE voc_feedbackitem AS f SET {sets} FROM (VALUES {values}) "  # noqa: S608
                    f"AS v({', '.join(names)}) WHERE f.id = v.id {where}"
                )
                cursor.execute(sql, [value for row in chunk for value in row])
        else:
            assignments = re.sub(r"v\.(\w+)", r"%(\1)s", sets)
            sql = f"UPDATE voc_feedbackitem AS f SET {assignments} WHERE id = %(id)s {where}"  # noqa: S608
            cursor.executemany(sql, [dict(zip(names, row, strict=True)) for row in rows])


def skip_reason(normalized: str, tokens: Sequence[str]) -> str:
    """Why an item is left out of the topic analysis ("" when it is not)."""
    if not normalized.strip():
        return SkipReason.EMPTY
    if not JAPANESE.search(normalized):
        return SkipReason.NO_JAPANESE
    if not tokens:
        return SkipReason.NO_WORDS
    return ""


def _store_analysis(rows: Sequence[tuple[Any, ...]]) -> None:
    """rows: (normalized_text, tokens JSON, token_text, tokenized_at, version, sentiment, score,
    skip reason, aspects JSON, id)."""
    _update_rows(
        sets=(
            "normalized_text = v.normalized_text, tokens = v.tokens, token_text = v.token_text, "
            "tokenized_at = v.tokenized_at, dictionary_version = v.version, "
            "sentiment = v.sentiment, sentiment_score = v.score, updated_at = v.tokenized_at, "
            "analysis_skipped_reason = v.reason, aspects = v.aspects"
        ),
        columns=[
            ("normalized_text", "text"),
            ("tokens", "jsonb"),
            ("token_text", "text"),
            ("tokenized_at", "timestamptz"),
            ("version", "integer"),
            ("sentiment", "text"),
            ("score", "double precision"),
            ("reason", "text"),
            ("aspects", "jsonb"),
            ("id", "bigint"),
        ],
        rows=rows,
    )


def _store_aspects(rows: Sequence[tuple[str, int]]) -> None:
    """rows: (aspects JSON, item id)."""
    _update_rows(
        sets="aspects = v.aspects",
        columns=[("aspects", "jsonb"), ("id", "bigint")],
        rows=rows,
    )


def _store_topics(rows: Sequence[tuple[int, float, int]]) -> None:
    """rows: (topic_id, topic_score, item id); items staff placed by hand are left alone."""
    _update_rows(
        sets="topic_id = v.topic_id, topic_score = v.score",
        columns=[("topic_id", "bigint"), ("score", "double precision"), ("id", "bigint")],
        rows=rows,
        where="AND NOT f.topic_locked",
    )


def refresh_topic_counts(topic_ids: Sequence[int] | None = None) -> None:
    queryset = Topic.objects.all() if topic_ids is None else Topic.objects.filter(id__in=topic_ids)
    counts = dict(
        FeedbackItem.objects.filter(topic__in=queryset)
        .values("topic")
        .annotate(n=Count("id"))
        .values_list("topic", "n")
    )
    for topic in queryset.only("id", "item_count"):
        count = counts.get(topic.id, 0)
        if topic.item_count != count:
            Topic.objects.filter(id=topic.id).update(item_count=count)


def analysis_rows(
    pairs: Sequence[tuple[int, str]], lexicon: Lexicon, version: int, now: Any
) -> list[tuple[Any, ...]]:
    """(id, text) pairs → rows for ``_store_analysis`` (pure: runs in worker processes too)."""
    rows = []
    # One parse gives each item's tokens and its clauses with their sentiment (voc.sentiment);
    # the clauses of items that have several get their own tokens too, for their topics
    # (``clause_topics``, when the item is placed).
    analysed = sentiment.analyse_many_with_tokens([text for _id, text in pairs], lexicon)
    several = [i for i, (_n, _t, scored) in enumerate(analysed) if len(scored.clauses) > 1]
    clause_tokens = dict(
        zip(
            several,
            clauses_with_tokens_many([analysed[i][0] for i in several], lexicon),
            strict=True,
        )
    )
    for index, ((item_id, _text), (normalized, tokens, scored)) in enumerate(
        zip(pairs, analysed, strict=True)
    ):
        rows.append(
            (
                normalized,
                json.dumps(tokens, ensure_ascii=False),
                join_tokens(tokens),
                now,
                version,
                scored.label,
                round(scored.score, 4),
                skip_reason(normalized, tokens),
                json.dumps(
                    with_clause_tokens(scored.aspects(), clause_tokens.get(index, [])),
                    ensure_ascii=False,
                ),
                item_id,
            )
        )
    return rows


def analyze_items(
    *, item_ids: Sequence[int], lexicon: Lexicon | None = None, assign: bool = True
) -> int:
    """Tokenise, score and (with ``assign``) place the given items. Returns how many."""
    lexicon = lexicon or current_lexicon()
    now = timezone.now()
    total = 0
    model = _current_model() if assign else None
    other_id = other_topic().id if model is not None else None
    touched_topics: set[int] = set()
    for start in range(0, len(item_ids), CHUNK_SIZE):
        chunk = list(item_ids[start : start + CHUNK_SIZE])
        pairs = list(FeedbackItem.objects.filter(id__in=chunk).values_list("id", "text"))
        rows = analysis_rows(pairs, lexicon, lexicon.version, now)
        with transaction.atomic():
            _store_analysis(rows)
            if model is not None and rows:
                token_lists = [json.loads(row[1]) for row in rows]
                labels, scores = model.assign(token_lists)
                found = clause_topics(
                    model,
                    [
                        (row[0], tokens, cluster, json.loads(row[-2]))
                        for row, tokens, cluster in zip(
                            rows, token_lists, labels.tolist(), strict=True
                        )
                    ],
                    lexicon,
                )
                placed = []
                aspect_rows = []
                for row, aspect, score in zip(rows, found, scores.tolist(), strict=True):
                    item_id = row[-1]
                    cluster = -1 if row[-3] else aspect.primary  # a skip reason: "other"
                    if row[-3]:
                        aspect.clauses = []
                    topic_id = model.topic_ids[cluster] if cluster >= 0 else other_id
                    placed.append((topic_id, round(float(score), 4), item_id))
                    aspect_rows.append((_aspects_json(aspect, model.topic_ids, other_id), item_id))
                    touched_topics.add(topic_id)
                _store_topics(placed)
                _store_aspects(aspect_rows)
        total += len(rows)
    if touched_topics:
        refresh_topic_counts(sorted(touched_topics))
    return total


def _aspects_json(aspect: Any, topic_ids: Sequence[int], other_id: int | None) -> str:
    entries = []
    for clause in aspect.clauses:
        cluster = clause["cluster"]
        entries.append(
            {
                "text": clause["text"],
                "start": clause["start"],
                "end": clause["end"],
                "sentiment": clause["sentiment"],
                "score": clause["score"],
                "topic_id": topic_ids[cluster] if cluster >= 0 else other_id,
                **({"tokens": clause["tokens"]} if "tokens" in clause else {}),
            }
        )
    return json.dumps(entries, ensure_ascii=False)


def pending_ids(*, version: int | None = None) -> Iterator[int]:
    """Ids of items never tokenised or tokenised with an older user dictionary (keyset paging)."""
    version = version if version is not None else analysis_settings().dictionary_version
    last = 0
    queryset = FeedbackItem.objects.filter(
        Q(tokenized_at__isnull=True) | ~Q(dictionary_version=version)
    ).order_by("id")
    while True:
        ids = list(queryset.filter(id__gt=last).values_list("id", flat=True)[: CHUNK_SIZE * 5])
        if not ids:
            return
        yield from ids
        last = ids[-1]


def _pending_chunks(version: int) -> Iterator[list[tuple[int, str]]]:
    chunk: list[int] = []
    for item_id in pending_ids(version=version):
        chunk.append(item_id)
        if len(chunk) >= CHUNK_SIZE:
            yield list(FeedbackItem.objects.filter(id__in=chunk).values_list("id", "text"))
            chunk = []
    if chunk:
        yield list(FeedbackItem.objects.filter(id__in=chunk).values_list("id", "text"))


def local_processes() -> int:
    """How many processes a command may fork for tokenising (this machine's cores)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return 1  # a daemonic (prefork) Celery child cannot start processes
    return max(1, os.cpu_count() or 1)


def analyze_pending(*, assign: bool = False, processes: int = 1) -> int:
    """Tokenise every item that needs it, in this process or over ``processes`` forked ones.

    Commands pass ``local_processes()``; Celery tasks keep 1 (forking a threaded worker is
    unsafe) — across machines, ``dispatch_tokenization`` hands the same chunks to the workers.
    Texts are read and results written by this process, a bounded number of chunks in flight.
    """
    lexicon = current_lexicon()
    now = timezone.now()
    chunks = _pending_chunks(lexicon.version)
    total = 0
    first = next(chunks, None)
    if first is None:
        return 0
    second = next(chunks, None)
    if second is None or processes == 1 or assign:
        for chunk in filter(None, [first, second]):
            total += analyze_items(item_ids=[i for i, _t in chunk], lexicon=lexicon, assign=assign)
        for chunk in chunks:
            total += analyze_items(item_ids=[i for i, _t in chunk], lexicon=lexicon, assign=assign)
        return total
    import multiprocessing
    from collections import deque
    from itertools import chain

    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        in_flight: deque[Any] = deque()
        for chunk in chain([first, second], chunks):
            in_flight.append(
                pool.apply_async(analysis_rows, (chunk, lexicon, lexicon.version, now))
            )
            while len(in_flight) > processes * 2:
                rows = in_flight.popleft().get()
                _store_analysis(rows)
                total += len(rows)
        while in_flight:
            rows = in_flight.popleft().get()
            _store_analysis(rows)
            total += len(rows)
    return total


def dispatch_tokenization(*, chunk_size: int = CHUNK_SIZE) -> int:
    """Enqueue ``voc.analyze_chunk`` for every chunk of items to (re-)tokenise. Returns chunks."""
    version = analysis_settings().dictionary_version
    chunks = 0
    batch: list[int] = []

    def send(ids: list[int]) -> None:
        outbox.enqueue(
            task_name="voc.analyze_chunk",
            kwargs={"item_ids": ids},
            dedup_key=f"voc-analyze-{version}-{ids[0]}-{ids[-1]}",
        )

    with transaction.atomic():
        for item_id in pending_ids(version=version):
            batch.append(item_id)
            if len(batch) >= chunk_size:
                send(batch)
                chunks += 1
                batch = []
        if batch:
            send(batch)
            chunks += 1
    return chunks


# --- the full analysis ------------------------------------------------------------------------


def _db_chunks() -> topics.TokenChunks:
    def iterate() -> Iterator[tuple[Sequence[int], Sequence[Sequence[str]]]]:
        last = 0
        queryset = (
            FeedbackItem.objects.exclude(tokenized_at=None)
            .filter(analysis_skipped_reason="")
            .order_by("id")
        )
        while True:
            rows = list(queryset.filter(id__gt=last).values_list("id", "tokens")[:10_000])
            if not rows:
                return
            yield [row[0] for row in rows], [row[1] or [] for row in rows]
            last = rows[-1][0]

    return iterate


def _previous_topics(item_ids: np.ndarray) -> np.ndarray:
    """The topic id (0: none or other) each item had before this run, aligned to ``item_ids``."""
    previous = np.zeros(len(item_ids), dtype=np.int64)
    if not len(item_ids):
        return previous
    order = np.argsort(item_ids)
    sorted_ids = item_ids[order]
    last = 0
    queryset = (
        FeedbackItem.objects.exclude(topic=None)
        .exclude(topic__is_other=True)
        .order_by("id")
        .values_list("id", "topic_id")
    )
    while True:
        rows = list(queryset.filter(id__gt=last)[:50_000])
        if not rows:
            break
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        positions = np.searchsorted(sorted_ids, ids)
        positions = np.clip(positions, 0, len(sorted_ids) - 1)
        found = sorted_ids[positions] == ids
        previous[order[positions[found]]] = np.array([row[1] for row in rows])[found]
        last = rows[-1][0]
    return previous


def _jaccard(left: Sequence[str], right: Sequence[str]) -> float:
    a, b = set(left), set(right)
    return len(a & b) / len(a | b) if a | b else 0.0


def match_clusters(
    *,
    clusters: Sequence[topics.Cluster],
    labels: np.ndarray,
    previous: np.ndarray,
    old_topics: dict[int, Topic],
) -> dict[int, int | None]:
    """cluster index → existing topic id (or None: a new topic).

    A cluster keeps the topic most of its items were in (several clusters may keep the same
    topic: a topic that staff merged stays one topic). A cluster with no such majority takes an
    unclaimed topic whose top terms overlap enough.
    """
    mapping: dict[int, int | None] = {}
    overlap: dict[int, Counter[int]] = defaultdict(Counter)
    for cluster, topic_id in zip(labels.tolist(), previous.tolist(), strict=True):
        if cluster >= 0 and topic_id:
            overlap[cluster][topic_id] += 1
    for cluster in clusters:
        counts = overlap.get(cluster.index)
        mapping[cluster.index] = None
        if counts and cluster.size:
            topic_id, count = counts.most_common(1)[0]
            if topic_id in old_topics and count / cluster.size >= MATCH_SHARE:
                mapping[cluster.index] = topic_id
    claimed = {topic_id for topic_id in mapping.values() if topic_id}
    for cluster in clusters:
        if mapping[cluster.index] is not None:
            continue
        candidates = [
            (_jaccard(cluster.terms, topic.terms), topic.id)
            for topic in old_topics.values()
            if topic.id not in claimed and topic.terms
        ]
        if candidates:
            score, topic_id = max(candidates)
            if score >= TERM_MATCH:
                mapping[cluster.index] = topic_id
                claimed.add(topic_id)
    return mapping


def _pick_quotes(candidate_ids: Sequence[int], count: int = 5) -> list[int]:
    texts = dict(
        FeedbackItem.objects.filter(id__in=candidate_ids).values_list("id", "normalized_text")
    )
    chosen: list[int] = []
    seen: set[str] = set()
    for item_id in candidate_ids:
        text = texts.get(item_id, "")
        if not (8 <= len(text) <= 300) or text in seen:
            continue
        seen.add(text)
        chosen.append(item_id)
        if len(chosen) >= count:
            break
    if len(chosen) < 3:
        chosen += [i for i in candidate_ids if i not in chosen][: 3 - len(chosen)]
    return chosen


def _label_texts(topic_id: int) -> list[str]:
    """Up to ``LABEL_SAMPLE`` normalised texts of a topic's items (evenly spread over them)."""
    queryset = FeedbackItem.objects.filter(topic_id=topic_id, analysis_skipped_reason="")
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    step = max(1, len(ids) // LABEL_SAMPLE)
    chosen = ids[::step][:LABEL_SAMPLE]
    return list(
        FeedbackItem.objects.filter(id__in=chosen).values_list("normalized_text", flat=True)
    )


def _clause_pass(
    result: topics.FitResult, topic_of_cluster: dict[int, int], other_id: int, lexicon: Lexicon
) -> None:
    """Place every clause, store aspects, and store each item's primary topic."""
    order = np.argsort(result.item_ids)
    sorted_ids = result.item_ids[order]
    topic_ids = [topic_of_cluster.get(i, other_id) for i in range(result.model.k)]
    last = 0
    queryset = (
        FeedbackItem.objects.exclude(tokenized_at=None)
        .filter(analysis_skipped_reason="")
        .order_by("id")
    )
    while True:
        rows = list(
            queryset.filter(id__gt=last).values_list("id", "normalized_text", "tokens", "aspects")[
                :5_000
            ]
        )
        if not rows:
            break
        last = rows[-1][0]
        ids = np.array([row[0] for row in rows], dtype=np.int64)
        positions = np.clip(np.searchsorted(sorted_ids, ids), 0, max(0, len(sorted_ids) - 1))
        known = sorted_ids[positions] == ids if len(sorted_ids) else np.zeros(len(ids), bool)
        clusters = np.where(known, result.labels[order[positions]], -1)
        scores = np.where(known, result.scores[order[positions]], 0.0)
        found = clause_topics(
            result.model,
            [
                (row[1], row[2] or [], int(c), row[3] or [])
                for row, c in zip(rows, clusters, strict=True)
            ],
            lexicon,
        )
        placed, aspect_rows = [], []
        for (item_id, _text, _tokens, _aspects), aspect, score in zip(
            rows, found, scores.tolist(), strict=True
        ):
            cluster = aspect.primary
            topic_id = topic_ids[cluster] if cluster >= 0 else other_id
            placed.append((topic_id, round(float(score), 4), item_id))
            aspect_rows.append((_aspects_json(aspect, topic_ids, other_id), item_id))
        _store_topics(placed)
        _store_aspects(aspect_rows)


def run_analysis(*, k: int | None = None, now: Any = None, processes: int = 1) -> AnalysisRun:
    """The full topic analysis (``manage.py analyze_voc``, the beat task, on demand).

    The previous run's model is handed to ``fit_topics``: on about the same items it reuses that
    representation and starts k-means from its centres, so topics (and their ids) hold still.
    """
    now = now or timezone.now()
    run = AnalysisRun.objects.create(started_at=now)
    try:
        analyze_pending(assign=False, processes=processes)
        k = k or analysis_settings().topic_count
        previous_model = _current_model()
        result = topics.fit_topics(_db_chunks(), k=k, previous=previous_model)
        previous = _previous_topics(result.item_ids)
        old_topics = {
            topic.id: topic
            for topic in Topic.objects.filter(is_other=False).exclude(merged_into__isnull=False)
        }
        mapping = match_clusters(
            clusters=result.clusters,
            labels=result.labels,
            previous=previous,
            old_topics=old_topics,
        )
        with transaction.atomic():
            other = other_topic()
            topic_of_cluster: dict[int, int] = {}
            kept: set[int] = set()
            terms_of_topic: dict[int, list[str]] = {}
            quotes_of_topic: dict[int, list[int]] = defaultdict(list)
            for cluster in result.clusters:
                topic_id = mapping[cluster.index]
                if topic_id is None:
                    topic = Topic.objects.create(name=_("Topic"), terms=cluster.terms)
                    topic_id = topic.id
                topic_of_cluster[cluster.index] = topic_id
                if topic_id in terms_of_topic:
                    # Several clusters kept one (merged) topic: the larger one's terms lead.
                    terms_of_topic[topic_id] = list(
                        dict.fromkeys(terms_of_topic[topic_id] + cluster.terms)
                    )[: topics.LABEL_TERMS]
                else:
                    terms_of_topic[topic_id] = cluster.terms
                quotes_of_topic[topic_id] += cluster.quote_ids
                kept.add(topic_id)
            other.terms = result.other_terms
            other.is_active = True
            other.save(update_fields=["terms", "is_active", "updated_at"])
            # Topics no cluster kept are retired, unless staff placed items in them by hand.
            locked_topics = set(
                FeedbackItem.objects.filter(topic_locked=True)
                .exclude(topic=None)
                .values_list("topic_id", flat=True)
                .distinct()
            )
            Topic.objects.filter(is_other=False, is_active=True).exclude(
                id__in=kept | locked_topics
            ).update(is_active=False)
            _clause_pass(result, topic_of_cluster, other.id, current_lexicon())
            # Items that cannot be analysed (empty, no Japanese, no usable word) go to "other"
            # with their reason (shown as 「分析対象外」).
            FeedbackItem.objects.filter(topic_locked=False).exclude(tokenized_at=None).exclude(
                analysis_skipped_reason=""
            ).update(topic=other, topic_score=None, aspects=[])
            FeedbackItem.objects.filter(topic=None, topic_locked=False).exclude(
                tokenized_at=None
            ).update(topic=other)
            topic_order = list(terms_of_topic)
            stored = {t.id: t for t in Topic.objects.filter(id__in=topic_order)}
            # Staff-named topics keep their name; it is taken, so no other topic gets it.
            reserved = {stored[t].name for t in topic_order if stored[t].name_is_custom}
            found = phrase_labels.phrase_labels(
                [_label_texts(t) for t in topic_order],
                fallback=[terms_of_topic[t] for t in topic_order],
                previous=[
                    None if stored[t].name_is_custom else stored[t].name for t in topic_order
                ],
                reserved=reserved,
            )
            for topic_id, label in zip(topic_order, found, strict=True):
                topic = stored[topic_id]
                topic.terms = terms_of_topic[topic_id]
                topic.keywords = label.keywords
                if not topic.name_is_custom:
                    topic.name = label.label or topic.name
                topic.is_active = True
                topic.quote_ids = _pick_quotes(quotes_of_topic[topic_id])
                topic.save(
                    update_fields=[
                        "terms",
                        "keywords",
                        "name",
                        "is_active",
                        "quote_ids",
                        "updated_at",
                    ]
                )
            refresh_topic_counts()
            # A topic left without items is retired (not listed).
            Topic.objects.filter(is_other=False, is_active=True, item_count=0).update(
                is_active=False
            )
            result.model.topic_ids = [topic_of_cluster[c.index] for c in result.clusters]
            run.status = AnalysisRunStatus.DONE
            run.finished_at = timezone.now()
            run.n_items = len(result.item_ids)
            run.n_topics = Topic.objects.filter(is_other=False, is_active=True).count()
            run.selection = result.selection
            run.model = result.model.to_bytes()
            run.save()
    except Exception as exc:
        AnalysisRun.objects.filter(id=run.id).update(
            status=AnalysisRunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
        )
        raise
    return run


@transaction.atomic
def request_analysis(*, topic_count: int | None) -> None:
    """Staff asked for a full re-run (optionally with their number of topics): enqueue it."""
    settings_row = analysis_settings()
    settings_row.topic_count = topic_count
    settings_row.save(update_fields=["topic_count", "updated_at"])
    outbox.enqueue(task_name="voc.run_analysis", kwargs={}, dedup_key="voc-run-analysis")
