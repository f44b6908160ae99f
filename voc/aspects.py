"""Clause topics: each clause of an item (``voc.clauses``) is placed in a topic of the fitted model.

One comment can speak of several topics (「店員さんは親切だけど値段が高い」: staff, price). Each
clause is tokenised and assigned to the nearest topic centre like a whole item; the item's
primary topic is the one its clauses give the most weight (their number of content tokens),
the whole-item assignment deciding ties and standing alone when no clause is placed.

Texts without a sentence end inside and without a contrast marker (``MAY_SPLIT``) are one
clause, the whole text: they need no second parse, which keeps the cost of a run low.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from voc import sentiment
from voc.clauses import clauses_with_tokens_many
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


def clause_topics(
    model: Any,
    items: Sequence[tuple[str, Sequence[str], int]],
    lexicon: Lexicon = EMPTY_LEXICON,
) -> list[ItemAspects]:
    """items: (normalised text, its tokens, its whole-item cluster) → clauses and primary."""
    results = [ItemAspects(primary=cluster) for _text, _tokens, cluster in items]
    pending: list[tuple[int, Any, list[str]]] = []
    splittable = [i for i, (text, _t, _c) in enumerate(items) if text and MAY_SPLIT.search(text)]
    parsed = dict(
        zip(
            splittable,
            clauses_with_tokens_many([items[i][0] for i in splittable], lexicon),
            strict=True,
        )
    )
    for index, (text, tokens, cluster) in enumerate(items):
        if not text:
            continue
        found = parsed.get(index, [])
        if len(found) <= 1:
            label, score = sentiment.classify_tokens(tokens)
            results[index].clauses = [
                {
                    "text": text,
                    "start": 0,
                    "end": len(text),
                    "cluster": int(cluster),
                    "sentiment": label,
                    "score": round(float(score), 4),
                    "weight": len(tokens),
                }
            ]
            continue
        pending.extend((index, clause, clause_tokens) for clause, clause_tokens in found)
    if not pending:
        return results
    assigned, _similarity = model.assign([clause_tokens for _i, _c, clause_tokens in pending])
    for (index, clause, clause_tokens), cluster in zip(pending, assigned.tolist(), strict=True):
        label, score = sentiment.classify_tokens(clause_tokens)
        results[index].clauses.append(
            {
                "text": clause.text,
                "start": clause.start,
                "end": clause.end,
                "cluster": int(cluster),
                "sentiment": label,
                "score": round(float(score), 4),
                "weight": len(clause_tokens),
            }
        )
    for index, result in enumerate(results):
        weights: dict[int, int] = defaultdict(int)
        for clause in result.clauses:
            if clause["cluster"] >= 0:
                weights[clause["cluster"]] += max(1, clause["weight"])
        if weights:
            own = items[index][2]
            result.primary = max(weights, key=lambda c: (weights[c], c == own, -c))
    return results
