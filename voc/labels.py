"""Topic labels a product manager reads at a glance: short phrases that occur in the items.

A label is a contiguous span of one item's normalised text (so it occurs verbatim, after NFKC,
in the items it was counted in), found on fugashi's parse:

- a compound noun, optionally ``noun + の + noun`` (ポイントの有効期限, 駐車場),
- ``noun + が/を/は/も + predicate`` (配送が遅い, 電波が悪い), the predicate with its negation
  or, when conjugated, its auxiliary (ログインできない, 届かなかった),
- ``noun + predicate`` without a particle (ログインできない, 解約したい).

Each topic takes the candidate with the best class-based TF-IDF score (its share of the topic's
items × how much more often it occurs there than in the other topics; BERTopic's c-TF-IDF on
phrases), among candidates found in at least ``MIN_ITEMS`` of the topic's items; longer phrase
patterns get a small bonus, and a longer phrase containing the best one wins while it occurs in
at least ``SPECIFIC`` of the same items (配送 → 配送が遅い). No two topics get the same label
(the larger topic chooses first).
Up to three keywords beside it: the next best candidates that the label does not contain.
No lone function words, no glosses (UniDic's ログ-log is never shown: only surfaces are).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from voc.normalize import MASKS
from voc.tokenize import STOP_WORDS, tagger

MIN_ITEMS = 3
MAX_CHARS = 16
MIN_CHARS = 2
KEYWORDS = 3
KEEP_PREVIOUS = 0.6
SPECIFIC = 0.6
PATTERN_BONUS = {"noun": 1.0, "noun_no_noun": 1.15, "noun_pred": 1.3}
SUBJECT_PARTICLES = frozenset({"が", "を", "は", "も"})
NEGATIONS = frozenset({"ない", "無い", "ず", "ぬ", "ん"})
# Nouns that never head a label on their own (formal nouns and the like).
WEAK_NOUNS = frozenset(
    {"こと", "もの", "ところ", "とき", "ため", "よう", "感じ", "方", "人", "時", "今回", "前"}
)


@dataclass(slots=True)
class Token:
    surface: str
    lemma: str
    pos: str
    start: int
    end: int
    major: str = ""
    noun: bool = False

    def __post_init__(self) -> None:
        self.major = self.pos.split("-", 1)[0]
        if self.major == "名詞":
            self.noun = not self.pos.startswith(("名詞-数詞", "名詞-代名詞"))
        else:
            self.noun = self.major == "接頭辞" or (
                self.major == "接尾辞" and self.pos.startswith("接尾辞-名詞的")
            )

    def is_noun(self) -> bool:
        return self.noun

    def is_predicate(self) -> bool:
        return self.major in ("動詞", "形容詞", "形状詞") or self.pos.startswith(
            "名詞-普通名詞-形状詞可能"
        )


def parse(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for line in tagger().parse(text).split("\n"):
        if not line or line == "EOS":
            continue
        fields = line.split("\t")
        surface = fields[0]
        if len(fields) == 3:
            lemma, pos = fields[1], fields[2]
        elif len(fields) >= 5:
            lemma, pos = fields[3], fields[4]
        else:
            lemma, pos = surface, ""
        found = text.find(surface, position)
        if found < 0:
            continue
        tokens.append(Token(surface, lemma, pos, found, found + len(surface)))
        position = found + len(surface)
    return tokens


def _noun_like(tokens: list[Token], i: int) -> bool:
    if tokens[i].is_noun():
        return True
    # 有効期限, 快適性: a 形状詞 inside a compound noun.
    return tokens[i].major == "形状詞" and i + 1 < len(tokens) and tokens[i + 1].is_noun()


def _noun_runs(tokens: list[Token]) -> list[tuple[int, int]]:
    runs = []
    i = 0
    while i < len(tokens):
        if _noun_like(tokens, i):
            j = i
            while j + 1 < len(tokens) and _noun_like(tokens, j + 1):
                j += 1
            # A run must end on a noun proper (not a lone prefix).
            if tokens[j].major != "接頭辞":
                runs.append((i, j))
            i = j + 1
        else:
            i += 1
    return runs


def _predicate_end(tokens: list[Token], i: int) -> int | None:
    """Index of the last token of the predicate starting at ``i`` (with negation/auxiliary)."""
    if i >= len(tokens) or not tokens[i].is_predicate():
        return None
    if tokens[i].pos.startswith("動詞-非自立可能") and tokens[i].lemma not in ("出来る", "為る"):
        return None
    end = i
    # 形状詞 + だ/な is not needed (遅延 is a noun; 不便 alone reads fine).
    j = end + 1
    if j < len(tokens) and tokens[j].pos.startswith("接尾辞-形容詞的"):
        end = j  # 使い + やすい
        j += 1
    if j < len(tokens) and tokens[j].lemma == "出来る":
        end = j  # 解約 + できる
        j += 1
    if j < len(tokens) and tokens[j].lemma in NEGATIONS and tokens[j].major in ("助動詞", "形容詞"):
        # ない, or a negation's stem with the auxiliary that ends it: なかっ + た.
        while j + 1 < len(tokens) and tokens[j + 1].major == "助動詞" and not _final(tokens[j]):
            j += 1
        return j if _final(tokens[j]) else None
    last = tokens[end]
    if _plain(last):
        return end
    if j < len(tokens) and tokens[j].major == "助動詞":
        # A conjugated stem (遅かっ, し) with its auxiliaries (た, たい), up to one a sentence
        # can end with: できませ + ん, でし + た.
        while j + 1 < len(tokens) and tokens[j + 1].major == "助動詞" and not _final(tokens[j]):
            j += 1
        return j if _final(tokens[j]) else None
    return None  # a bare stem reads as a fragment (遅く, 使え)


# Auxiliaries a phrase can end with (others are stems: ませ, まし, でし, だっ, なかっ).
FINAL_AUXILIARIES = frozenset(
    {"た", "だ", "ない", "ん", "ます", "です", "たい", "ず", "う", "れる"}
)


def _final(token: Token) -> bool:
    return token.surface in FINAL_AUXILIARIES


def _plain(token: Token) -> bool:
    """Whether the token ends as a word can end (dictionary form, not a conjugated stem)."""
    if token.surface == token.lemma or token.major in ("形状詞", "名詞"):
        return True
    if token.major in ("形容詞", "接尾辞"):
        return token.surface.endswith("い")
    return token.major == "動詞" and token.surface[-1] in "うくぐすつぬぶむる"


def _good_noun_run(tokens: list[Token], i: int, j: int) -> bool:
    words = [t for t in tokens[i : j + 1] if t.major == "名詞"]
    if not words:
        return False
    heads = {t.surface for t in words} | {t.lemma.split("-", 1)[0] for t in words}
    if heads <= (WEAK_NOUNS | STOP_WORDS | MASKS):
        return False
    return not all(t.pos.startswith("名詞-固有名詞-人名") for t in words)


HONORIFICS = frozenset({"ちゃん", "さん", "様", "さま", "君", "くん"})


def _adverbial_run(tokens: list[Token], i: int, j: int) -> bool:
    """Only nouns that also serve as adverbs (UniDic 副詞可能: 毎回, 結局, 最近, 土日)."""
    return all(t.pos.startswith("名詞-普通名詞-副詞可能") for t in tokens[i : j + 1])


def _without_leading_adverbs(tokens: list[Token], i: int, j: int) -> tuple[int, int]:
    """毎回アプリ → アプリ: an adverbial noun before a compound is not part of its name; nor is
    an honorific after it (時間指定ちゃん(と) → 時間指定, where the tagger split ちゃんと)."""
    while i < j and _adverbial_run(tokens, i, i):
        i += 1
    while j > i and tokens[j].major == "接尾辞" and tokens[j].surface in HONORIFICS:
        j -= 1
    return i, j


def _negated(tokens: list[Token], start: int, end: int) -> bool:
    return any(t.lemma in ("ない", "無い", "ず", "ぬ") for t in tokens[start : end + 1])


def candidates(text: str) -> dict[str, str]:
    """Candidate phrases of one normalised text → their pattern."""
    tokens = parse(text)
    found: dict[str, str] = {}

    def add(start: int, end: int, pattern: str) -> None:
        phrase = text[start:end].strip()
        if not (MIN_CHARS <= len(phrase) <= MAX_CHARS):
            return
        if any(mask in phrase for mask in MASKS) or "_" in phrase or phrase.isdigit():
            return
        if phrase not in found or PATTERN_BONUS[pattern] > PATTERN_BONUS[found[phrase]]:
            found[phrase] = pattern

    runs = [_without_leading_adverbs(tokens, i, j) for i, j in _noun_runs(tokens)]
    for index, (i, j) in enumerate(runs):
        if not _good_noun_run(tokens, i, j):
            continue
        if not _adverbial_run(tokens, i, j):  # 毎回, 結局, 土日: not a topic on their own
            add(tokens[i].start, tokens[j].end, "noun")
        # noun + の + noun
        if (
            index + 1 < len(runs)
            and j + 1 < len(tokens)
            and tokens[j + 1].surface == "の"
            and runs[index + 1][0] == j + 2
        ):
            i2, j2 = runs[index + 1]
            if _good_noun_run(tokens, i2, j2):
                add(tokens[i].start, tokens[j2].end, "noun_no_noun")
        # noun (+ particle) + predicate
        k = j + 1
        if k < len(tokens) and tokens[k].surface in SUBJECT_PARTICLES:
            k += 1
        end = _predicate_end(tokens, k)
        if end is not None and (k > j + 1 or tokens[k].lemma in ("出来る", "為る")):
            if k == j + 1 and tokens[k].lemma == "為る" and not _negated(tokens, k, end):
                continue  # 指定した, 注文した: the act itself, no aspect of it (指定できない is)
            add(tokens[i].start, tokens[end].end, "noun_pred")
    return found


@dataclass
class Label:
    label: str
    keywords: list[str]
    support: int  # items of the topic the label occurs in


def phrase_labels(
    texts_by_topic: Sequence[Sequence[str]],
    fallback: Sequence[Sequence[str]] | None = None,
    previous: Sequence[str | None] | None = None,
    reserved: set[str] | None = None,
) -> list[Label]:
    """One label (and up to three keywords) per topic from (a sample of) its items' texts.

    ``fallback``: per topic, terms to use when no phrase occurs in ``MIN_ITEMS`` items (the
    label is then the most frequent candidate, or the first term). ``previous``: per topic, its
    current label, kept while it still qualifies and scores at least ``KEEP_PREVIOUS`` of the
    best (labels hold still across re-runs). ``reserved``: labels no topic may take (staff's
    names of other topics).
    """
    per_topic: list[Counter[str]] = []
    patterns: dict[str, str] = {}
    for texts in texts_by_topic:
        counts: Counter[str] = Counter()
        for text in texts:
            found = candidates(text)
            counts.update(found.keys())
            patterns.update(found)
        per_topic.append(counts)
    totals: Counter[str] = Counter()
    for counts in per_topic:
        totals.update(counts)
    sizes = [max(1, len(texts)) for texts in texts_by_topic]
    average = sum(sizes) / len(sizes) if sizes else 1.0
    ranked: list[list[tuple[float, str]]] = []
    for counts, size in zip(per_topic, sizes, strict=True):
        scored = []
        for phrase, count in counts.items():
            share = count / size
            distinct = math.log(1 + average * share / max(1, totals[phrase]) * len(sizes))
            score = share * distinct * PATTERN_BONUS[patterns[phrase]]
            scored.append((score, phrase))
        scored.sort(key=lambda pair: (-pair[0], -len(pair[1]), pair[1]))
        ranked.append(scored)
    order = sorted(range(len(texts_by_topic)), key=lambda i: -sizes[i])
    used: set[str] = set(reserved or ())
    results: list[Label | None] = [None] * len(texts_by_topic)
    for i in order:
        counts = per_topic[i]
        eligible = [p for _s, p in ranked[i] if counts[p] >= MIN_ITEMS and p not in used]
        scores = {p: score for score, p in ranked[i]}
        old = previous[i] if previous else None
        if eligible and old in eligible and scores[old] >= KEEP_PREVIOUS * scores[eligible[0]]:
            label = old
        elif eligible:
            label = eligible[0]
            # A phrase that says more about the same thing wins while it covers most of the
            # same items (配送 → 配送が遅い, ポイント → ポイントの有効期限).
            longer = [
                p
                for p in eligible
                if label in p and p != label and counts[p] >= SPECIFIC * counts[label]
            ]
            if longer:
                label = max(longer, key=lambda p: (counts[p], len(p)))
        else:
            frequent = [p for p, _c in counts.most_common() if p not in used]
            terms = [t for t in (fallback[i] if fallback else []) if "_" not in t]
            label = frequent[0] if frequent else (terms[0] if terms else "")
            if label in used or not label:
                label = f"{label or 'トピック'}（{i + 1}）"
        used.add(label)
        keywords = []
        for _score, phrase in ranked[i]:
            if len(keywords) >= KEYWORDS:
                break
            if phrase == label or phrase in label or label in phrase:
                continue
            if patterns[phrase] != "noun" or counts[phrase] < 2:
                continue
            if any(phrase in k or k in phrase for k in keywords):
                continue
            keywords.append(phrase)
        results[i] = Label(label=label, keywords=keywords, support=counts.get(label, 0))
    return [result for result in results if result is not None]
