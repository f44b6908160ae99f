"""Clause topics: each clause of an item (``voc.clauses``) is placed in a topic of the fitted model.

One comment can speak of several topics (「店員さんは親切だけど値段が高い」: staff, price). Each
clause is tokenised and assigned to the nearest topic centre like a whole item; the item's
primary topic is the one its clauses give the most weight (their number of content tokens),
the whole-item assignment deciding ties and standing alone when no clause is placed.

The clauses (with their sentiment) are computed when the item is tokenised, and the clauses of
an item that has several get their own tokens (``analysis_rows``); all of it is stored in
``FeedbackItem.aspects`` (``with_clause_tokens``), so placing them costs an embedding, not a
parse. Texts without a sentence end inside and without a contrast marker (``MAY_SPLIT``) are one
clause, the whole text. Items stored before that (no aspects) are split here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from voc import sentiment
from voc.clauses import Clause, clauses_with_tokens_many
from voc.tokenize import EMPTY_LEXICON, Lexicon

MAY_SPLIT = re.compile(
    r"[。！？!?\n].|けど|けれど|のに|ものの|しかし|でも|ただ|一方|[いただする]が"
)


@dataclass
class ItemAspects:
    clauses: list[dict[str, Any]] = field(default_factory=list)  # text, start, end, cluster, …
    primary: int = -1  # cluster index (−1: other)

    @property
    def clusters(self) -> set[int]:
        return {c["cluster"] for c in self.clauses if c["cluster"] >= 0}


def with_clause_tokens(
    entries: list[dict[str, Any]], clauses: Sequence[tuple[Clause, list[str]]]
) -> list[dict[str, Any]]:
    """The ``aspects`` an item gets when tokenised (one entry per clause, with its sentiment:
    ``voc.sentiment``), each clause's tokens added when there are several (matched by offset),
    so placing the clauses in topics later needs no second parse."""
    if len(entries) <= 1:
        return entries
    by_start = {clause.start: tokens for clause, tokens in clauses}
    for entry in entries:
        if entry["start"] in by_start:
            entry["tokens"] = list(by_start[entry["start"]])
    return entries


def _from_stored(stored: Sequence[Any], tokens: Sequence[str]) -> list[tuple[Any, list[str]]]:
    """(clause entry, tokens) from stored aspects; [] when they are missing or unusable."""
    if not stored or not all(isinstance(entry, dict) and "text" in entry for entry in stored):
        return []
    if len(stored) == 1:
        return [(stored[0], list(tokens))]
    if not all(isinstance(entry.get("tokens"), list) for entry in stored):
        return []
    return [(entry, entry["tokens"]) for entry in stored]


def clause_topics(
    model: Any,
    items: Sequence[tuple[Any, ...]],
    lexicon: Lexicon = EMPTY_LEXICON,
) -> list[ItemAspects]:
    """items: (normalised text, its tokens, its whole-item cluster[, stored aspects]) → the
    clauses with their topic (cluster) and sentiment, and the item's primary cluster."""
    results = [ItemAspects(primary=item[2]) for item in items]
    known: dict[int, list[tuple[Any, list[str]]]] = {}
    missing: list[int] = []
    for index, item in enumerate(items):
        text, tokens = item[0], item[1]
        if not text:
            continue
        found = _from_stored(item[3], tokens) if len(item) > 3 else []
        if found:
            known[index] = found
        elif MAY_SPLIT.search(text):
            missing.append(index)
        else:
            known[index] = [({"text": text, "start": 0, "end": len(text)}, list(tokens))]
    for index, pairs in zip(
        missing, clauses_with_tokens_many([items[i][0] for i in missing], lexicon), strict=True
    ):
        if len(pairs) <= 1:
            text = items[index][0]
            known[index] = [({"text": text, "start": 0, "end": len(text)}, list(items[index][1]))]
        else:
            known[index] = [
                ({"text": c.text, "start": c.start, "end": c.end}, clause_tokens)
                for c, clause_tokens in pairs
            ]
    single = [i for i, pairs in known.items() if len(pairs) == 1]
    several = [
        (i, entry, toks) for i, pairs in known.items() if len(pairs) > 1 for entry, toks in pairs
    ]
    assigned = model.assign([toks for _i, _e, toks in several])[0].tolist() if several else []
    for index in single:
        entry, clause_tokens = known[index][0]
        results[index].clauses.append(_clause(entry, clause_tokens, items[index][2], False))
    for (index, entry, clause_tokens), cluster in zip(several, assigned, strict=True):
        results[index].clauses.append(_clause(entry, clause_tokens, cluster, True))
    for index, result in enumerate(results):
        weights: dict[int, int] = defaultdict(int)
        for clause in result.clauses:
            if clause["cluster"] >= 0:
                weights[clause["cluster"]] += max(1, clause["weight"])
        if weights:
            own = items[index][2]
            result.primary = max(weights, key=lambda c: (weights[c], c == own, -c))
    return results


def _clause(entry: dict[str, Any], tokens: list[str], cluster: int, keep: bool) -> dict[str, Any]:
    if "sentiment" in entry:
        label, score = entry["sentiment"], entry.get("score", 0.0)
    else:
        label, score = sentiment.classify_tokens(tokens)
    clause = {
        "text": entry["text"],
        "start": entry["start"],
        "end": entry["end"],
        "cluster": int(cluster),
        "sentiment": label,
        "score": round(float(score), 4),
        "weight": len(tokens),
    }
    if keep:
        clause["tokens"] = tokens
    return clause
