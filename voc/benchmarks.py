"""Benchmarks run by ``python manage.py bench`` (see the dashboard app's bench command).

``BENCHMARKS`` maps a name to ``(run, add_arguments)``: ``add_arguments(parser)`` declares the
options, ``run(**options)`` yields one dict per JSON line to print.

- ``bench tokenize [--items N] [--rounds R]``: the product's tokeniser (normalisation + tokens,
  as the services call it for a set of items: ``analyze_many``) against the naive fugashi loop
  (``for word in tagger(text)`` reading ``word.feature.lemma`` and the part of speech) on the
  same texts in the same process; ``ratio`` = seconds ÷ baseline_seconds.
- ``bench cluster --items N [--no-baseline]``: tokenise, score, vectorise, cluster, label and store
  N items through the real services (``analyze_pending`` + ``run_analysis``) on the configured
  database, inside a transaction that is rolled back (the database is left as it was; existing
  feedback is hidden from the run by deleting it inside that transaction). The baseline is the
  naive loop merely tokenising the same N texts.

Items come from ``feedback_texts``: the real reviews in ../shared/data/quasi_japanese_reviews cut
into sentences (Quasi Japanese Reviews, CC BY 4.0, Megagon Labs), with light variation (1–3
sentences joined, colloquial openers and endings, half-width katakana, laughter marks, emoji,
URLs), deterministic for a given seed.
"""

from __future__ import annotations

import gc
import random
import resource
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

DATA = next(
    (
        parent / "shared" / "data" / "quasi_japanese_reviews"
        for parent in Path(settings.BASE_DIR).resolve().parents
        if (parent / "shared" / "data" / "quasi_japanese_reviews").is_dir()
    ),
    Path(settings.BASE_DIR).parent / "shared" / "data" / "quasi_japanese_reviews",
)

OPENERS = [
    "",
    "",
    "",
    "正直、",
    "ちなみに",
    "えっと、",
    "個人的には",
    "前回も書きましたが、",
    "家族で利用して、",
]
ENDINGS = ["", "", "", "！", "。", "ｗｗｗ", "（笑）", "…", "😊", "😡", "です。", "と思いました。"]
SLICE = 500
FALLBACK = [
    "スタッフの対応がとても丁寧でした。",
    "朝食のバイキングが美味しかったです。",
    "駅から近くてアクセスが便利でした。",
    "部屋が狭くて少し残念でした。",
    "景色がきれいで子供も喜んでいました。",
    "駐車場がなくて不便でした。",
]


def _sentences() -> list[str]:
    from voc.evaluation import quasi_reviews_rows

    if not DATA.exists():
        return FALLBACK
    return [row["text"] for row in quasi_reviews_rows(DATA, unit="sentence")]


def _half_width(text: str) -> str:
    # A rough reverse of NFKC for katakana, as old systems and phones still send it.
    table = {unicodedata.normalize("NFKC", chr(code)): chr(code) for code in range(0xFF66, 0xFF9E)}
    return "".join(table.get(char, char) for char in text)


def feedback_texts(n: int, *, seed: int = 0) -> Iterator[str]:
    """``n`` realistic Japanese feedback texts (a generator: memory stays flat)."""
    rng = random.Random(seed)
    sentences = _sentences()
    for number in range(n):
        parts = [rng.choice(sentences) for _ in range(rng.choice((1, 1, 1, 2, 2, 3)))]
        text = rng.choice(OPENERS) + "".join(parts) + rng.choice(ENDINGS)
        roll = rng.random()
        if roll < 0.05:
            text = _half_width(text)
        elif roll < 0.07:
            text += f" 詳細 https://example.jp/r/{number}"
        yield text


def peak_rss_mb() -> float:
    """Peak resident memory of this process (MB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def peak_children_rss_mb() -> float:
    """Peak resident memory of the largest finished child process (the tokenising pool)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


_naive_tagger: list[Any] = []


def naive_loop(texts: Iterable[str]) -> int:
    """The baseline: fugashi's documented loop, one Tagger reused (created once, untimed)."""
    if not _naive_tagger:
        import fugashi

        _naive_tagger.append(fugashi.Tagger())
    tagger = _naive_tagger[0]
    count = 0
    for text in texts:
        for word in tagger(text):
            lemma = word.feature.lemma
            pos = word.feature.pos1
            if lemma and pos:
                count += 1
    return count


def _timed(function: Callable[[], Any], *, collect: bool = True) -> tuple[float, Any]:
    if collect:
        gc.collect()
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def run_tokenize(
    *,
    items: int = 20_000,
    seed: int = 0,
    rounds: int = 3,
    sentiment: bool = False,
    **_options: Any,
) -> Iterator[dict[str, Any]]:
    from voc import tokenize
    from voc.sentiment import analyse_many_with_tokens, clear_line_cache, polarity_lexicon

    texts = list(feedback_texts(items, seed=seed))
    if sentiment:
        polarity_lexicon()  # loaded once per process, outside the timings
    chars = sum(len(text) for text in texts)
    tokenize.tagger()  # load the dictionary outside the timings (the baseline loads its own)
    naive_loop(texts[:10])
    # The machine is shared, so its speed drifts: both loops run on the same slice of texts
    # one right after the other, slice by slice, ``rounds`` times; each slice keeps the fastest
    # time of each loop (as timeit does) and the totals are the sums over the slices. The
    # per-line cache of the product's tokeniser starts empty in every round.
    slices = [texts[start : start + SLICE] for start in range(0, len(texts), SLICE)]
    best_baseline = [float("inf")] * len(slices)
    best_product = [float("inf")] * len(slices)
    tokens = 0

    def product_loop(chunk: list[str]) -> int:
        # The product's tokeniser as the services call it for a set of items; with
        # ``--sentiment`` the clause sentiment too, read from the same parse
        # (``analyse_many_with_tokens``, what ``analysis_rows`` runs).
        if sentiment:
            return sum(
                len(tokens) for _normalized, tokens, _scored in analyse_many_with_tokens(chunk)
            )
        return sum(len(tokens) for _normalized, tokens in tokenize.analyze_many(chunk))

    for _round in range(rounds):
        tokenize.clear_cache()
        clear_line_cache()
        tokens = 0
        for index, chunk in enumerate(slices):
            elapsed, _ = _timed(lambda chunk=chunk: naive_loop(chunk), collect=False)
            best_baseline[index] = min(best_baseline[index], elapsed)
            elapsed, count = _timed(lambda chunk=chunk: product_loop(chunk), collect=False)
            best_product[index] = min(best_product[index], elapsed)
            tokens += count
    baseline_seconds, seconds = sum(best_baseline), sum(best_product)
    yield {
        "name": "tokenize",
        "items": items,
        "chars": chars,
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "baseline_seconds": round(baseline_seconds, 3),
        "ratio": round(seconds / baseline_seconds, 3),
        "rounds": rounds,
        "sentiment": sentiment,
        "peak_rss_mb": peak_rss_mb(),
    }


def add_tokenize_arguments(parser: Any) -> None:
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sentiment",
        action="store_true",
        help="time the clause sentiment too (analyse_many_with_tokens, as analysis_rows runs)",
    )


class _Rollback(Exception):
    pass


def run_cluster(
    *,
    items: int = 100_000,
    seed: int = 0,
    no_baseline: bool = False,
    k: int | None = None,
    **_options: Any,
) -> Iterator[dict[str, Any]]:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from voc.models import FeedbackItem, Topic
    from voc.services import analyze_pending, run_analysis
    from voc.services.analysis import local_processes

    # As in production: DEBUG off, so the connection does not keep a log of every query.
    settings.DEBUG = False
    chars = 0
    row: dict[str, Any] = {"name": "cluster", "items": items, "database": connection.vendor}
    if not no_baseline:
        baseline_seconds, _ = _timed(lambda: naive_loop(feedback_texts(items, seed=seed)))
        row["baseline_seconds"] = round(baseline_seconds, 3)
    try:
        with transaction.atomic():
            FeedbackItem.objects.all().delete()
            Topic.objects.all().delete()
            now = timezone.now()
            batch = []
            for number, text in enumerate(feedback_texts(items, seed=seed)):
                chars += len(text)
                batch.append(
                    FeedbackItem(
                        text=text, channel="review", received_at=now, external_id=f"bench-{number}"
                    )
                )
                if len(batch) >= 5_000:
                    FeedbackItem.objects.bulk_create(batch)
                    batch = []
            FeedbackItem.objects.bulk_create(batch)
            del batch
            tokenize_seconds, _ = _timed(
                lambda: analyze_pending(assign=False, processes=local_processes())
            )
            cluster_seconds, run = _timed(lambda: run_analysis(k=k))
            row.update(
                {
                    "chars": chars,
                    "n_topics": run.n_topics,
                    "tokenize_seconds": round(tokenize_seconds, 3),
                    "cluster_seconds": round(cluster_seconds, 3),
                    "seconds": round(tokenize_seconds + cluster_seconds, 3),
                    "unassigned": FeedbackItem.objects.filter(topic__is_other=True).count(),
                }
            )
            raise _Rollback
    except _Rollback:
        pass
    if "baseline_seconds" in row:
        row["ratio"] = round(row["seconds"] / row["baseline_seconds"], 3)
    row["peak_rss_mb"] = peak_rss_mb()
    row["peak_children_rss_mb"] = peak_children_rss_mb()
    yield row


def add_cluster_arguments(parser: Any) -> None:
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the naive loop (e.g. at 1,000,000 items)"
    )


BENCHMARKS: dict[str, tuple[Callable[..., Iterable[dict[str, Any]]], Callable[..., None]]] = {
    "tokenize": (run_tokenize, add_tokenize_arguments),
    "cluster": (run_cluster, add_cluster_arguments),
}


def run_stability(
    *, quasi: int = 1_000, extra_share: float = 0.02, **_options: Any
) -> Iterator[dict[str, Any]]:
    """Topic stability on text no generator of ours wrote (``voc.stability``), rolled back."""
    from django.conf import settings
    from django.db import transaction

    from voc.models import FeedbackItem, Topic
    from voc.stability import measure_stability, stability_texts

    settings.DEBUG = False
    texts = stability_texts(quasi=quasi)
    # Every 50th text is held back and added later (2%): new items of the same kinds.
    step = max(2, round(1 / extra_share)) if extra_share > 0 else 0
    extra = texts[::step] if step else []
    base = [text for i, text in enumerate(texts) if not step or i % step]
    rows: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            FeedbackItem.objects.all().delete()
            Topic.objects.all().delete()
            from voc.models import AnalysisRun

            AnalysisRun.objects.all().delete()
            started = time.perf_counter()
            rows = measure_stability(base, extra)
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    for row in rows:
        yield {"name": "stability", **row}
    yield {"name": "stability", "seconds": round(seconds, 3), "peak_rss_mb": peak_rss_mb()}


def add_stability_arguments(parser: Any) -> None:
    parser.add_argument("--quasi", type=int, default=1_000, help="quasi-review sentences to add")
    parser.add_argument("--extra-share", type=float, default=0.02)


BENCHMARKS["stability"] = (run_stability, add_stability_arguments)
