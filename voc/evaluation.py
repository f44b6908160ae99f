"""Measuring the topic pipeline on a labelled CSV, without touching the database.

``evaluate(texts, labels, k=None, method=…, seeds=1)`` runs the product's pipeline (normalise,
tokenise, fit topics with ``method``) once per seed and, on the same items in the same process,
the baseline (TF-IDF over character 2–3-grams of the raw text + k-means with the same number of
topics). Scores against the given labels: ARI and AMI (the mean over the seeds, and the
minimum), V-measure (items in the "other" bucket count as one more cluster, so leaving items
unassigned is never free), NPMI of the topics' top terms over the items' tokens, diversity of
the top terms, and the unassigned share. The topics of the first seed are listed with their
phrase label (``voc.labels``), keywords and size; ``predictions`` (optional) gets one row per
item: topic, label, sentiment, confidence and the clauses (``voc.clauses``) with theirs.

With ``sentiments`` (the gold label per item), ``sentiment_macro_f1`` of ``voc.sentiment`` and
that of the majority baseline.

``quasi_reviews_rows(directory, unit)`` turns the Quasi Japanese Reviews data set (hotel and spot
reviews, CC BY 4.0, Megagon Labs) into labelled rows: one row per review (its sentences joined),
per snippet of three consecutive sentences, or per sentence; label = the domain.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voc import labels as phrase_labels_module
from voc import topics
from voc.aspects import clause_topics
from voc.tokenize import analyze, analyze_many

UNASSIGNED_LABEL = "その他・未分類"


def shared_data_dir() -> Path | None:
    """``shared/data`` beside the repository (or beside the folder of work trees)."""
    from django.conf import settings

    base = Path(settings.BASE_DIR)
    for parent in [base.parent, *base.parents]:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def _sentiment_of(tokens: Sequence[str]) -> tuple[str, float]:
    from voc import sentiment

    label, score = sentiment.classify_tokens(tokens)
    return str(label), float(score)


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    classes = sorted(set(gold))
    return float(f1_score(gold, predicted, labels=classes, average="macro", zero_division=0))


def evaluate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    k: int | None = None,
    method: str = topics.DEFAULT_METHOD,
    seeds: int = 1,
    ids: Sequence[str] | None = None,
    sentiments: Sequence[str] | None = None,
    predictions: str | Path | None = None,
) -> dict[str, Any]:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        adjusted_rand_score,
        v_measure_score,
    )

    from voc.dictionary_seed import seed_lexicon

    started = time.perf_counter()
    lexicon = seed_lexicon()
    analysed = analyze_many(texts, lexicon)
    normalized = [pair[0] for pair in analysed]
    token_lists = [pair[1] for pair in analysed]
    tokenize_seconds = time.perf_counter() - started
    runs = []
    for seed in range(max(1, seeds)):
        run_started = time.perf_counter()
        result = topics.fit_topics(
            topics.in_memory_chunks(token_lists), k=k, method=method, seed=seed
        )
        predicted = result.labels.tolist()
        runs.append(
            {
                "seed": seed,
                "result": result,
                "predicted": predicted,
                "ari": adjusted_rand_score(labels, predicted),
                "ami": adjusted_mutual_info_score(labels, predicted),
                "v_measure": v_measure_score(labels, predicted),
                "n_topics": result.model.k,
                "unassigned_share": sum(1 for p in predicted if p < 0) / max(1, len(texts)),
                "seconds": time.perf_counter() - run_started,
            }
        )
    first = runs[0]
    result, predicted = first["result"], first["predicted"]
    n_topics = result.model.k
    topic_terms = [cluster.terms for cluster in result.clusters]

    by_cluster: dict[int, list[str]] = {c.index: [] for c in result.clusters}
    for text, cluster in zip(normalized, predicted, strict=True):
        if cluster >= 0:
            by_cluster[cluster].append(text)
    found = phrase_labels_module.phrase_labels(
        [by_cluster[c.index] for c in result.clusters], fallback=topic_terms
    )
    names = {c.index: found[i].label for i, c in enumerate(result.clusters)}

    baseline_started = time.perf_counter()
    matrix = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True
    ).fit_transform(list(texts))
    baseline_runs = [
        KMeans(n_clusters=max(1, run["n_topics"]), n_init=10, random_state=run["seed"]).fit_predict(
            matrix
        )
        for run in runs
    ]
    baseline_seconds = time.perf_counter() - baseline_started
    baseline_ari = [adjusted_rand_score(labels, b) for b in baseline_runs]
    baseline_ami = [adjusted_mutual_info_score(labels, b) for b in baseline_runs]

    def mean(key: str) -> float:
        return round(float(np.mean([run[key] for run in runs])), 4)

    def minimum(key: str) -> float:
        return round(float(np.min([run[key] for run in runs])), 4)

    report: dict[str, Any] = {
        "method": method,
        "n_items": len(texts),
        "n_true_topics": len(set(labels)),
        "n_topics": n_topics,
        "n_topics_per_seed": [run["n_topics"] for run in runs],
        "seeds": len(runs),
        "ari": mean("ari"),
        "ami": mean("ami"),
        "ari_min": minimum("ari"),
        "ami_min": minimum("ami"),
        "v_measure": mean("v_measure"),
        "npmi": round(topics.npmi(topic_terms, token_lists), 4),
        "diversity": round(topics.diversity(topic_terms), 4),
        "unassigned_share": mean("unassigned_share"),
        "seconds": round(tokenize_seconds + float(np.mean([run["seconds"] for run in runs])), 3),
        "baseline": "char 2–3-gram TF-IDF + k-means, same k",
        "baseline_ari": round(float(np.mean(baseline_ari)), 4),
        "baseline_ami": round(float(np.mean(baseline_ami)), 4),
        "baseline_ari_min": round(float(np.min(baseline_ari)), 4),
        "baseline_ami_min": round(float(np.min(baseline_ami)), 4),
        "baseline_v_measure": round(v_measure_score(labels, baseline_runs[0]), 4),
        "baseline_seconds": round(baseline_seconds / len(runs), 3),
        "k_selection": result.selection,
        "topics": [
            {
                "label": found[i].label,
                "keywords": found[i].keywords,
                "size": cluster.size,
                "terms": cluster.terms[:6],
                "majority": _majority(labels, predicted, cluster.index),
            }
            for i, cluster in enumerate(result.clusters)
        ],
    }
    item_aspects = clause_topics(
        result.model, list(zip(normalized, token_lists, predicted, strict=True)), lexicon
    )
    primary = [aspect.primary for aspect in item_aspects]
    report["primary_ari"] = round(adjusted_rand_score(labels, primary), 4)
    report["primary_ami"] = round(adjusted_mutual_info_score(labels, primary), 4)
    report["items_with_several_topics"] = sum(1 for a in item_aspects if len(a.clusters) > 1)
    item_sentiments: list[str] | None = None
    if sentiments is not None or predictions is not None:
        item_sentiments = []
        confidences = []
        aspects = []
        for tokens, cluster, score, aspect in zip(
            token_lists, predicted, result.scores.tolist(), item_aspects, strict=True
        ):
            clauses = [
                {**c, "topic_label": names.get(c["cluster"], UNASSIGNED_LABEL)}
                for c in aspect.clauses
            ]
            item_sentiments.append(_item_sentiment(tokens, clauses))
            confidences.append(round(float(score), 4) if cluster >= 0 else 0.0)
            aspects.append(clauses)
    if sentiments is not None and item_sentiments is not None:
        majority = Counter(sentiments).most_common(1)[0][0]
        report["sentiment_macro_f1"] = round(_macro_f1(sentiments, item_sentiments), 4)
        report["sentiment_majority_macro_f1"] = round(
            _macro_f1(sentiments, [majority] * len(sentiments)), 4
        )
    if predictions is not None and item_sentiments is not None:
        write_predictions(
            predictions,
            ids=list(ids) if ids is not None else [str(i + 1) for i in range(len(texts))],
            clusters=predicted,
            result=result,
            names=names,
            sentiments=item_sentiments,
            confidences=confidences,
            aspects=aspects,
        )
    return report


def _majority(labels: Sequence[str], predicted: Sequence[int], cluster: int) -> str:
    counts = Counter(label for label, p in zip(labels, predicted, strict=True) if p == cluster)
    return counts.most_common(1)[0][0] if counts else ""


def _item_sentiment(tokens: Sequence[str], clauses: Sequence[dict[str, Any]]) -> str:
    """The item's sentiment: ``mixed`` when its clauses disagree, else the lexicon's label."""
    polar = {c["sentiment"] for c in clauses} & {"positive", "negative"}
    if len(polar) == 2:
        return "mixed"
    label, _score = _sentiment_of(tokens)
    return label


def write_predictions(
    path: str | Path,
    *,
    ids: Sequence[str],
    clusters: Sequence[int],
    result: topics.FitResult,
    names: dict[int, str],
    sentiments: Sequence[str],
    confidences: Sequence[float],
    aspects: Sequence[Sequence[dict[str, Any]]],
) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "topic_id", "topic_label", "sentiment", "confidence", "aspects"])
        for item_id, cluster, sentiment, confidence, clauses in zip(
            ids, clusters, sentiments, confidences, aspects, strict=True
        ):
            writer.writerow(
                [
                    item_id,
                    int(cluster),
                    names.get(int(cluster), UNASSIGNED_LABEL),
                    sentiment,
                    confidence,
                    json.dumps(
                        [
                            {
                                "text": c["text"],
                                "topic_label": c["topic_label"],
                                "sentiment": c["sentiment"],
                            }
                            for c in clauses
                        ],
                        ensure_ascii=False,
                    ),
                ]
            )


def quasi_reviews_rows(directory: str | Path, *, unit: str = "review") -> Iterator[dict[str, str]]:
    """Labelled rows from Quasi Japanese Reviews: unit "review", "snippet" or "sentence"."""
    directory = Path(directory)
    for domain in ("hotel", "spot"):
        path = directory / f"quasi_{domain}.VanillaUtterance.jsonl"
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                record = json.loads(line)
                sentences = [u["text"] for u in record.get("utterances", []) if u.get("text")]
                doc_id = record.get("docid", {}).get("id", "")
                if unit == "sentence":
                    for number, sentence in enumerate(sentences):
                        yield {"id": f"{doc_id}.{number}", "text": sentence, "label": domain}
                elif unit == "snippet":
                    # Three consecutive sentences: about the length of a feedback comment.
                    for number in range(0, max(1, len(sentences) - 1), 3):
                        text = "".join(sentences[number : number + 3])
                        yield {"id": f"{doc_id}.{number}", "text": text, "label": domain}
                else:
                    yield {"id": doc_id, "text": "".join(sentences), "label": domain}


__all__ = ["analyze", "evaluate", "quasi_reviews_rows", "shared_data_dir"]
