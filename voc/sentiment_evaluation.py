"""Measuring the sentiment of comments people wrote: macro-F1 over the four labels and agreement
with the writer's NPS band, next to two baselines measured in the same run.

- ``majority``: every comment gets the most frequent label of the file (macro-F1's floor).
- ``lexicon_count``: the old item-level rule (``classify_tokens`` over the item's tokens: a
  signed count of polar words with negation flipping; it never says ``mixed``).
- ``clauses``: ``analyse_text`` (clauses, the 日本語評価極性辞書 + the VoC words, negation,
  contrast, intensifiers, requests, emoji).

NPS agreement is measured on comments with a score: a promoter (9–10) is not ``negative``, a
detractor (0–4) is not ``positive``; passives and 5–6 are not counted. Everything is
deterministic (no seeds).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

LABELS = ("positive", "negative", "neutral", "mixed")


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    from sklearn.metrics import f1_score

    present = [label for label in LABELS if label in set(gold) | set(predicted)]
    return float(f1_score(gold, predicted, labels=present, average="macro", zero_division=0))


def nps_agreement(
    scores: Sequence[int | None], predicted: Sequence[str]
) -> tuple[float | None, int]:
    agree = counted = 0
    for score, label in zip(scores, predicted, strict=True):
        if score is None:
            continue
        if score >= 9:
            counted += 1
            agree += label != "negative"
        elif score <= 4:
            counted += 1
            agree += label != "positive"
    return (round(agree / counted, 4) if counted else None), counted


def predict(texts: Sequence[str]) -> dict[str, list[str]]:
    from voc.normalize import normalize_text
    from voc.sentiment import analyse_many_normalized, classify_tokens
    from voc.tokenize import tokenize_many_normalized

    normalized = [normalize_text(text) for text in texts]
    tokens = tokenize_many_normalized(normalized)
    return {
        "clauses": [item.label for item in analyse_many_normalized(normalized)],
        "lexicon_count": [classify_tokens(item)[0] for item in tokens],
    }


def evaluate(
    texts: Sequence[str], gold: Sequence[str], nps: Sequence[int | None] | None = None
) -> dict[str, Any]:
    from sklearn.metrics import confusion_matrix

    gold = [label.strip().lower() for label in gold]
    predictions = predict(texts)
    majority_label = Counter(gold).most_common(1)[0][0]
    predictions["majority"] = [majority_label] * len(gold)
    result: dict[str, Any] = {"n_items": len(gold), "label_counts": dict(Counter(gold))}
    for name in ("clauses", "lexicon_count", "majority"):
        predicted = predictions[name]
        key = "" if name == "clauses" else f"{name}_"
        result[f"{key}macro_f1"] = round(macro_f1(gold, predicted), 4)
        result[f"{key}accuracy"] = round(
            sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4
        )
        if nps is not None:
            agreement, counted = nps_agreement(nps, predicted)
            result[f"{key}nps_agreement"] = agreement
            result["nps_counted"] = counted
    from sklearn.metrics import f1_score

    result["per_label_f1"] = {
        label: round(float(value), 4)
        for label, value in zip(
            LABELS,
            f1_score(
                gold, predictions["clauses"], labels=list(LABELS), average=None, zero_division=0
            ),
            strict=True,
        )
    }
    result["confusion"] = {
        "labels": list(LABELS),
        "rows_gold_columns_predicted": confusion_matrix(
            gold, predictions["clauses"], labels=list(LABELS)
        ).tolist(),
    }
    result["majority_label"] = majority_label
    return result


def errors(texts: Sequence[str], gold: Sequence[str]) -> list[tuple[str, str, str]]:
    """(gold, predicted, text) of the comments the clause model gets wrong (for reading)."""
    predicted = predict(texts)["clauses"]
    return [
        (g, p, t) for g, p, t in zip(gold, predicted, texts, strict=True) if g.strip().lower() != p
    ]
