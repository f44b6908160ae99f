"""How much a word says about *what* a comment is about (its topic), as opposed to how the
writer feels about it or how they phrase it.

Topics are aspects: 料金, 接客, 配送, ログイン. Comments about different aspects share their
evaluative words (良い, 不満, 嬉しい, 残念), their adverbs (本当に, いつも, ちゃんと) and many
situation verbs (する, 待つ, 使う); comments about the same aspect share nouns. The topic
representation (``voc.topics``, the vector methods) therefore scales each term's weight by:

- its part of speech (UniDic ``pos1`` of the term parsed alone): nouns and compounds 1,
  verbs ``VERB_WEIGHT``, adjectives and 形状詞 ``ADJECTIVE_WEIGHT``, adverbs ``ADVERB_WEIGHT``;
- ``POLAR_WEIGHT`` when the term is a predicate with a polarity in the lexicon
  (``voc.sentiment.polarity_lexicon``): 美味しい, 遅い, 使いやすい. Nouns keep their weight even
  when the lexicon gives them one: エラー, 解約, 値上げ and 故障 name what the comment is about.

A negated term (``届く_ない``) weighs as its base. Measured in voc/README.md ("Measured"):
on voc_dev and the hand-written set, with the number of topics given, the weights raise ARI by
0.02–0.10 over plain tf-idf weights; they change nothing for the TF-IDF methods, which do not
use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

VERB_WEIGHT = 0.5
ADJECTIVE_WEIGHT = 0.5
ADVERB_WEIGHT = 0.0
POLAR_WEIGHT = 0.3


def part_of_speech(term: str) -> str:
    """名詞, 動詞, 形容詞 or 副詞 of a term that the tagger reads as one word (its word class in
    ``voc.tokenize``: 形状詞 and 最高/便利 are adjectives); 名詞 for compounds (定期便,
    ポイント還元) and strings it splits."""
    from voc import tokenize

    base = term.removesuffix(tokenize.NEGATION_SUFFIX)
    if base.endswith(("やすい", "にくい", "づらい")):
        return "形容詞"  # 使いやすい, 分かりにくい: one token made of a verb and a suffix
    lines = [line for line in tokenize.tagger().parse(base).splitlines() if line and line != "EOS"]
    if len(lines) != 1:
        return "名詞"
    kind = tokenize.classify(lines[0])[0]
    if kind in (tokenize.VERB, tokenize.WEAK_VERB):
        return "動詞"
    if kind in (tokenize.ADJ, tokenize.NA_ADJ):
        return "形容詞"
    if kind in (tokenize.ADVERB, tokenize.TRANSPARENT):
        return "副詞"
    return "名詞"


_POS_WEIGHTS = {"動詞": VERB_WEIGHT, "形容詞": ADJECTIVE_WEIGHT, "副詞": ADVERB_WEIGHT}


def term_weights(vocabulary: Sequence[str]) -> np.ndarray:
    """One weight per term (see the module docstring), float32."""
    from voc.sentiment import polarity_lexicon
    from voc.tokenize import NEGATION_SUFFIX

    lexicon = polarity_lexicon()
    weights = np.ones(len(vocabulary), np.float32)
    for i, term in enumerate(vocabulary):
        pos = part_of_speech(term)
        weight = _POS_WEIGHTS.get(pos, 1.0)
        if pos != "名詞" and lexicon.by_lemma.get(term.removesuffix(NEGATION_SUFFIX)):
            weight *= POLAR_WEIGHT
        weights[i] = weight
    return weights
