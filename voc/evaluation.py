"""Measuring the topic pipeline on a labelled CSV, without touching the database.

``evaluate(texts, labels, k=None)`` runs the product's pipeline (normalise, tokenise, fit topics)
and, on the same items in the same process, the baseline (TF-IDF over character 2–3-grams of the
raw text + k-means with the same number of topics). Scores against the given labels:
ARI, AMI, V-measure (items in the "other" bucket count as one more cluster, so leaving items
unassigned is never free), NPMI of the topics' top terms over the items' tokens, diversity of the
top terms, and the unassigned share.

``quasi_reviews_rows(directory, unit)`` turns the Quasi Japanese Reviews data set (hotel and spot
reviews, CC BY 4.0, Megagon Labs) into labelled rows: one row per review (its sentences joined),
per snippet of three consecutive sentences, or per sentence; label = the domain.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from voc import topics
from voc.tokenize import analyze


def evaluate(
    texts: Sequence[str], labels: Sequence[str], *, k: int | None = None
) -> dict[str, Any]:
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import (
        adjusted_mutual_info_score,
        adjusted_rand_score,
        v_measure_score,
    )

    started = time.perf_counter()
    token_lists = [analyze(text)[1] for text in texts]
    result = topics.fit_topics(topics.in_memory_chunks(token_lists), k=k)
    predicted = result.labels.tolist()
    seconds = time.perf_counter() - started
    n_topics = result.model.k
    topic_terms = [cluster.terms for cluster in result.clusters]

    baseline_started = time.perf_counter()
    matrix = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True
    ).fit_transform(list(texts))
    baseline = KMeans(
        n_clusters=max(1, n_topics), n_init=10, random_state=topics.RANDOM_STATE
    ).fit_predict(matrix)
    baseline_seconds = time.perf_counter() - baseline_started

    return {
        "n_items": len(texts),
        "n_topics": n_topics,
        "ari": round(adjusted_rand_score(labels, predicted), 4),
        "ami": round(adjusted_mutual_info_score(labels, predicted), 4),
        "v_measure": round(v_measure_score(labels, predicted), 4),
        "npmi": round(topics.npmi(topic_terms, token_lists), 4),
        "diversity": round(topics.diversity(topic_terms), 4),
        "unassigned_share": round(sum(1 for p in predicted if p < 0) / max(1, len(texts)), 4),
        "seconds": round(seconds, 3),
        "baseline_ari": round(adjusted_rand_score(labels, baseline), 4),
        "baseline_ami": round(adjusted_mutual_info_score(labels, baseline), 4),
        "baseline_v_measure": round(v_measure_score(labels, baseline), 4),
        "baseline_seconds": round(baseline_seconds, 3),
        "k_selection": result.selection,
        "topics": [
            {"size": cluster.size, "terms": cluster.terms[:6]} for cluster in result.clusters
        ],
    }


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
