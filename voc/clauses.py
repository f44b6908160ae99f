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

from dataclasses import dataclass

from voc.normalize import normalize_text

SENTENCE_ENDS = frozenset("。！？!?\n")
CONTRAST_PARTICLES = frozenset({"が", "けど", "けれど", "けれども", "のに", "ものの", "けども"})
CONTRAST_CONJUNCTIONS = frozenset({"しかし", "でも", "ただ", "ただし", "ところが", "だが", "一方"})
MIN_CHARS = 2
PREDICATES = frozenset({"形容詞", "助動詞", "動詞"})


@dataclass(frozen=True)
class Clause:
    text: str
    start: int  # character offsets in the normalised text
    end: int
    # True when the clause was introduced by a contrast (けど, しかし, …): what follows a
    # contrast usually carries the writer's point.
    after_contrast: bool = False


def _cuts(text: str) -> list[tuple[int, bool]]:
    """Offsets where a new clause starts, each with whether a contrast introduced it."""
    from voc.tokenize import tagger

    cuts: list[tuple[int, bool]] = []
    position = 0
    sentence_start = True
    previous_pos = ""
    for word in tagger()(text):
        surface = word.surface
        found = text.find(surface, position)
        if found < 0:
            continue
        start, end = found, found + len(surface)
        position = end
        feature = word.feature
        pos1, pos2 = feature[0], feature[1] if len(feature) > 1 else ""
        # unidic-lite tags the が of 「美味しいが高い」 as 格助詞: after a predicate it joins
        # clauses.
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
    pieces: list[Clause] = []
    previous, contrast = 0, False
    for offset, is_contrast in [*_cuts(value), (len(value), False)]:
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
