"""Clauses of a Japanese comment: the units that carry one topic and one sentiment each.

「店員さんは親切だけど値段が高い」 says two things: staff (positive) and price (negative). An item
is split at sentence ends (。！？!? and line breaks) and at contrast: the conjunctive particles
が / けど / けれど(も) / のに / ものの, the conjunctions しかし / でも / ただ / 一方 / ところが
at the start of a sentence, and 一方(で) after a clause. Each clause keeps its character span
in the normalised text, so the page can show it in place.

The split is done on fugashi's parse (a が that is 接続助詞, not the subject marker 格助詞), so
「料理が美味しい」 stays one clause while 「料理は美味しいが高い」 becomes two. Fragments
shorter than ``MIN_CHARS`` characters are joined to their neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from voc.normalize import normalize_text

SENTENCE_ENDS = frozenset("。！？!?\n")
CONTRAST_PARTICLES = frozenset({"が", "けど", "けれど", "けれども", "のに", "ものの", "けども"})
CONTRAST_CONJUNCTIONS = frozenset({"しかし", "でも", "ただ", "ただし", "ところが", "だが", "一方"})
MIN_CHARS = 2
# Any word that may open or join a contrast; a text without one is cut at sentence ends only.
_CONTRAST = re.compile(
    "|".join(sorted(CONTRAST_PARTICLES | CONTRAST_CONJUNCTIONS | {"の"}, key=len))
)
PREDICATES = frozenset({"形容詞", "助動詞", "動詞"})


@dataclass(frozen=True)
class Clause:
    text: str
    start: int  # character offsets in the normalised text
    end: int
    # True when the clause was introduced by a contrast (けど, しかし, …): what follows a
    # contrast usually carries the writer's point.
    after_contrast: bool = False


def _words(text: str) -> Iterator[tuple[str, str, str, int]]:
    """(surface, pos1, pos2, start offset or −1) of each word of ``text`` (fugashi's nodes)."""
    from voc.tokenize import tagger

    position = 0
    for word in tagger()(text):
        feature = word.feature
        surface = word.surface
        found = text.find(surface, position)
        if found >= 0:
            position = found + len(surface)
        yield surface, feature[0], feature[1] if len(feature) > 1 else "", found


def _cuts(
    text: str, words: Iterable[tuple[str, str, str, int]] | None = None
) -> list[tuple[int, bool]]:
    """Offsets where a new clause starts, each with whether a contrast introduced it."""
    cuts: list[tuple[int, bool]] = []
    sentence_start = True
    previous_pos = ""
    for surface, pos1, pos2, found in words if words is not None else _words(text):
        if found < 0:
            continue
        start, end = found, found + len(surface)
        # unidic-lite tags the が of 「美味しいが高い」 as 格助詞; after a predicate it is a
        # conjunction all the same.
        conjunctive = pos2 == "接続助詞" or (surface == "が" and previous_pos in PREDICATES)
        if surface in CONTRAST_PARTICLES and pos1 == "助詞" and conjunctive:
            cuts.append((_after_punctuation(text, end), True))
            previous_pos, sentence_start = pos1, False
            continue
        if surface == "の" and previous_pos in PREDICATES and text.startswith("に、", end):
            cuts.append((_after_punctuation(text, end + 1), True))  # 良かったのに、…
        previous_pos = pos1
        opens_contrast = pos1 == "接続詞" and surface in CONTRAST_CONJUNCTIONS
        if sentence_start and any(text.startswith(word, start) for word in CONTRAST_CONJUNCTIONS):
            opens_contrast = True
        if opens_contrast and start > 0:
            cuts.append((start, True))
        if surface == "一方" and not sentence_start and start > 0:
            cuts.append((start, True))
        if all(character in SENTENCE_ENDS for character in surface):
            cuts.append((end, False))
            sentence_start = True
        else:
            sentence_start = surface in "、,「」 "
    return cuts


def _after_punctuation(text: str, offset: int) -> int:
    while offset < len(text) and text[offset] in "、,… ":
        offset += 1
    return offset


def split_clauses(text: str | None, *, normalized: bool = False) -> list[Clause]:
    """The clauses of ``text`` (normalised first unless ``normalized``), in order.

    Empty text gives no clauses; text without any boundary gives one clause, the whole text.
    """
    value = text or ""
    if not normalized:
        value = normalize_text(value)
    if not value.strip():
        return []
    return clauses_from_cuts(value, _cuts(value))


def clauses_from_cuts(value: str, cuts: list[tuple[int, bool]]) -> list[Clause]:
    """Clauses of the normalised ``value`` from its cut offsets (each with whether a contrast
    introduced the clause that starts there); short fragments are joined to a neighbour."""
    if not value.strip():
        return []
    pieces: list[Clause] = []
    previous, contrast = 0, False
    for offset, is_contrast in [*cuts, (len(value), False)]:
        if offset <= previous:
            contrast = contrast or is_contrast
            continue
        piece = value[previous:offset]
        stripped = piece.strip(" 、,")
        if stripped:
            lead = previous + piece.index(stripped[0])
            pieces.append(Clause(stripped, lead, lead + len(stripped), contrast))
        previous, contrast = offset, is_contrast
    return _merge_short(pieces, value)


def _merge_short(pieces: list[Clause], text: str) -> list[Clause]:
    merged: list[Clause] = []
    for piece in pieces:
        core = piece.text.strip("。！？!?…・ー〜~♪☆★ ")
        if merged and len(core) < MIN_CHARS:
            last = merged[-1]
            merged[-1] = Clause(
                text[last.start : piece.end], last.start, piece.end, last.after_contrast
            )
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[0].text.strip("。！？!? ")) < MIN_CHARS:
        first, second = merged[0], merged[1]
        merged[:2] = [Clause(text[first.start : second.end], first.start, second.end, False)]
    return merged


def clauses_with_tokens_many(
    texts: Sequence[str], lexicon: Any = None
) -> list[list[tuple[Clause, list[str]]]]:
    """Clauses and their tokens of many normalised texts, from the compact MeCab output the
    tokeniser reads, parsed a batch at a time (a run places every clause of every item)."""
    from voc.tokenize import BATCH_TEXTS, BOUNDARY, EMPTY_LEXICON, SENTINEL, tagger

    lexicon = lexicon or EMPTY_LEXICON
    results: list[list[tuple[Clause, list[str]]]] = [[] for _ in texts]
    wanted = [i for i, text in enumerate(texts) if text and text.strip()]
    parse = tagger().parse
    for start in range(0, len(wanted), BATCH_TEXTS):
        batch = wanted[start : start + BATCH_TEXTS]
        joined = BOUNDARY + BOUNDARY.join(texts[i] for i in batch) + BOUNDARY
        segments: list[list[str]] = [[]]
        for line in parse(joined).split("\n"):
            if not line or line == "EOS":
                continue
            if line.startswith(SENTINEL):
                segments.append([])
            else:
                segments[-1].append(line)
        # Each text sits between the full stops of two boundaries.
        for index, lines in zip(batch, segments[1:-1], strict=True):
            results[index] = _from_lines(texts[index], lines[1:-1], lexicon)
    return results


def _from_lines(text: str, lines: list[str], lexicon: Any) -> list[tuple[Clause, list[str]]]:
    from voc.tokenize import SENTINEL, segments_from_parse

    words: list[tuple[str, str, str, int]] = []
    position = 0
    if not _CONTRAST.search(text):
        # Sentence ends only (most multi-sentence comments): the cuts without the full rules.
        cuts = []
        for line in lines:
            surface = line.partition("\t")[0]
            found = text.find(surface, position)
            if found >= 0:
                position = found + len(surface)
                if all(character in SENTENCE_ENDS for character in surface):
                    cuts.append((position, False))
            words.append((surface, "", "", found))
    else:
        for line in lines:
            fields = line.split("\t")
            surface = fields[0]
            pos = fields[2] if len(fields) == 3 else (fields[4] if len(fields) >= 5 else "")
            pos1, _, rest = pos.partition("-")
            found = text.find(surface, position)
            if found >= 0:
                position = found + len(surface)
            words.append((surface, pos1, rest.partition("-")[0], found))
        cuts = _cuts(text, words)
    clauses = clauses_from_cuts(text, cuts)
    if not clauses:
        return []
    if len(clauses) == 1:
        return [(clauses[0], lexicon.apply(segments_from_parse("\n".join(lines))[0]))]
    marker = f"{SENTINEL}\t{SENTINEL}\t補助記号-一般"  # read as a boundary between segments
    joined: list[str] = []
    current = 0
    for line, word in zip(lines, words, strict=True):
        while current + 1 < len(clauses) and word[3] >= clauses[current + 1].start:
            joined.append(marker)
            current += 1
        joined.append(line)
    while current + 1 < len(clauses):
        joined.append(marker)
        current += 1
    segments = segments_from_parse("\n".join(joined))
    return [
        (clause, lexicon.apply(tokens)) for clause, tokens in zip(clauses, segments, strict=True)
    ]
