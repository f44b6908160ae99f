"""Coding rules as in KH Coder: named boolean rules over words and phrases, their frequency by
segment, and a correspondence-analysis map of words × segments.

A rule reads ``*価格: 高い | 値段 | 料金 & !安い`` (the ``*name:`` head is optional when the name
is given apart, as in the admin). Operators, tightest first: ``!`` (not), ``&`` (and), ``|``
(or); parentheses group. So the rule above is 高い | 値段 | (料金 & !安い).

- A word matches whole tokens (the item's UniDic lemmas, as the search uses them): 高い finds
  高かった and 高くない, レジ does not find クレジットカード. A word that the tokeniser splits
  into several tokens needs all of them.
- A "quoted phrase" matches the normalised text (NFKC, so half-width/full-width do not matter).

Errors are ``CodingRuleError`` with a Japanese message naming the position.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from voc.normalize import normalize_text
from voc.tokenize import NEGATION_SUFFIX

OPERATORS = "|&!()"


class CodingRuleError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Word:
    tokens: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Phrase:
    text: str


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class And:
    operands: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Any, ...]


def _lex(expression: str) -> list[tuple[str, str, int]]:
    """(kind, value, position): kind is an operator character, "word" or "phrase"."""
    items: list[tuple[str, str, int]] = []
    # NFKC only (｜＆！（） typed on a Japanese keyboard become | & ! ( )).
    text = unicodedata.normalize("NFKC", expression)
    index = 0
    while index < len(text):
        character = text[index]
        if character.isspace():
            index += 1
            continue
        if character in OPERATORS:
            items.append((character, character, index))
            index += 1
            continue
        if character == '"':
            close = text.find('"', index + 1)
            if close < 0:
                raise CodingRuleError(
                    _("The quotation mark at position %(position)d is not closed.")
                    % {"position": index + 1}
                )
            phrase = text[index + 1 : close].strip()
            if not phrase:
                raise CodingRuleError(
                    _("The phrase at position %(position)d is empty.") % {"position": index + 1}
                )
            items.append(("phrase", normalize_text(phrase), index))
            index = close + 1
            continue
        start = index
        while (
            index < len(text)
            and not text[index].isspace()
            and text[index] not in OPERATORS
            and text[index] != '"'
        ):
            index += 1
        items.append(("word", text[start:index], start))
    return items


class _Parser:
    def __init__(self, items: list[tuple[str, str, int]], tokenizer: Callable[[str], list[str]]):
        self.items = items
        self.index = 0
        self.tokenizer = tokenizer

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self) -> tuple[str, str, int]:
        item = self.items[self.index]
        self.index += 1
        return item

    def parse(self) -> Any:
        if not self.items:
            raise CodingRuleError(_("The rule is empty: write at least one word."))
        node = self.parse_or()
        item = self.peek()
        if item is not None:
            if item[0] == ")":
                raise CodingRuleError(
                    _("The closing parenthesis at position %(position)d has no opening one.")
                    % {"position": item[2] + 1}
                )
            raise CodingRuleError(
                _("An operator (| or &) is missing before “%(word)s” at position %(position)d.")
                % {"word": item[1], "position": item[2] + 1}
            )
        return node

    def parse_or(self) -> Any:
        operands = [self.parse_and()]
        while (item := self.peek()) is not None and item[0] == "|":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Any:
        operands = [self.parse_not()]
        while (item := self.peek()) is not None and item[0] == "&":
            self.take()
            operands.append(self.parse_not())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_not(self) -> Any:
        item = self.peek()
        if item is not None and item[0] == "!":
            self.take()
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self) -> Any:
        item = self.peek()
        if item is None:
            previous = self.items[-1]
            raise CodingRuleError(
                _("A word is missing after “%(operator)s” at the end of the rule.")
                % {"operator": previous[1]}
            )
        kind, value, position = self.take()
        if kind == "(":
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing[0] != ")":
                raise CodingRuleError(
                    _("The parenthesis opened at position %(position)d is not closed.")
                    % {"position": position + 1}
                )
            self.take()
            return node
        if kind == "phrase":
            return Phrase(value)
        if kind == "word":
            tokens = tuple(token.removesuffix(NEGATION_SUFFIX) for token in self.tokenizer(value))
            if not tokens:
                # A particle or a lone kana: no word to match; the text itself is meant.
                return Phrase(value)
            return Word(tokens, value)
        raise CodingRuleError(
            _("A word is missing before “%(operator)s” at position %(position)d.")
            % {"operator": value, "position": position + 1}
        )


def _as_written(value: str) -> list[str]:
    return [value]


def split_definition(line: str) -> tuple[str, str]:
    """``*価格: 高い | 値段`` → ("価格", "高い | 値段")."""
    head, separator, expression = line.partition(":")
    if not separator:
        head, separator, expression = line.partition("：")
    name = head.strip().lstrip("*＊").strip()
    if not separator or not name:
        raise CodingRuleError(_("Write a rule as “*name: expression”, e.g. *価格: 高い | 値段."))
    return name, expression.strip()


def parse_expression(expression: str, tokenizer: Callable[[str], list[str]] | None = None) -> Any:
    """The rule's syntax tree; ``CodingRuleError`` (Japanese message) when it is not valid.

    ``tokenizer`` turns each word into the tokens it matches (``voc.selectors.keyword_tokens``:
    the items' own tokenisation and user dictionary); without one, words stay as written, which
    is enough to check the syntax.
    """
    if expression.lstrip().startswith(("*", "＊")):
        _name, expression = split_definition(expression)
    return _Parser(_lex(expression), tokenizer or _as_written).parse()


def matches(node: Any, tokens: frozenset[str] | set[str], text: str) -> bool:
    """Whether an item (its tokens without the negation mark, its normalised text) has the
    code."""
    if isinstance(node, Word):
        return all(token in tokens for token in node.tokens)
    if isinstance(node, Phrase):
        return node.text in text
    if isinstance(node, Not):
        return not matches(node.operand, tokens, text)
    if isinstance(node, And):
        return all(matches(operand, tokens, text) for operand in node.operands)
    if isinstance(node, Or):
        return any(matches(operand, tokens, text) for operand in node.operands)
    raise TypeError(node)


def item_terms(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(token.removesuffix(NEGATION_SUFFIX) for token in tokens)


# --- frequency by segment -------------------------------------------------------------------


def frequency_table(
    codes: Sequence[tuple[str, Any]],
    items: Iterable[tuple[str, frozenset[str], str]],
) -> dict[str, Any]:
    """Counts and percentages of each code in each segment.

    ``items``: (segment, terms, normalised text). Percentages are of the segment's items (as
    KH Coder's cross tabulation shows them); the last column is all items.
    """
    segment_totals: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {name: Counter() for name, _node in codes}
    total = 0
    for segment, terms, text in items:
        total += 1
        segment_totals[segment] += 1
        for name, node in codes:
            if matches(node, terms, text):
                counts[name][segment] += 1
    segments = sorted(segment_totals, key=lambda s: (-segment_totals[s], s))
    rows = []
    for name, _node in codes:
        cells = []
        for segment in segments:
            n = counts[name][segment]
            cells.append({"count": n, "percent": round(100 * n / segment_totals[segment], 1)})
        all_n = sum(counts[name].values())
        rows.append(
            {
                "code": name,
                "cells": cells,
                "total": {"count": all_n, "percent": round(100 * all_n / total, 1) if total else 0},
            }
        )
    return {
        "segments": [{"name": s, "n": segment_totals[s]} for s in segments],
        "rows": rows,
        "n_items": total,
    }


# --- correspondence analysis ------------------------------------------------------------------


def correspondence_analysis(
    table: Sequence[Sequence[float]], dimensions: int = 2
) -> dict[str, Any]:
    """Correspondence analysis of a contingency table (rows × columns), by SVD of the
    standardised residuals: S = D_r^-1/2 (P − r cᵀ) D_c^-1/2 = U Σ Vᵀ; principal coordinates
    F = D_r^-1/2 U Σ (rows) and G = D_c^-1/2 V Σ (columns) (Greenacre 2007, ch. 4).

    Returns the row and column coordinates (``dimensions`` columns, padded with zeros when the
    table has fewer) and each dimension's share of the total inertia.
    """
    import numpy as np

    matrix = np.asarray(table, dtype=float)
    n_rows, n_columns = matrix.shape if matrix.ndim == 2 else (0, 0)
    empty = {
        "rows": [[0.0] * dimensions for _ in range(n_rows)],
        "columns": [[0.0] * dimensions for _ in range(n_columns)],
        "inertia": [0.0] * dimensions,
        "total_inertia": 0.0,
    }
    total = matrix.sum() if matrix.size else 0.0
    if total <= 0 or n_rows < 2 or n_columns < 2:
        return empty
    p = matrix / total
    r = p.sum(axis=1)
    c = p.sum(axis=0)
    keep_rows, keep_columns = r > 0, c > 0
    p, r, c = p[keep_rows][:, keep_columns], r[keep_rows], c[keep_columns]
    residuals = (p - np.outer(r, c)) / np.sqrt(np.outer(r, c))
    u, sigma, vt = np.linalg.svd(residuals, full_matrices=False)
    # A deterministic sign: the largest |coordinate| of each column-side axis is positive.
    for axis in range(len(sigma)):
        pivot = np.argmax(np.abs(vt[axis]))
        if vt[axis, pivot] < 0:
            vt[axis] *= -1
            u[:, axis] *= -1
    row_coords = (u * sigma) / np.sqrt(r)[:, None]
    column_coords = (vt.T * sigma) / np.sqrt(c)[:, None]
    total_inertia = float((sigma**2).sum())

    def padded(coords: Any, keep: Any, size: int) -> list[list[float]]:
        out = [[0.0] * dimensions for _ in range(size)]
        kept = iter(coords)
        for index, present in enumerate(keep):
            if present:
                values = next(kept)
                for axis in range(min(dimensions, len(values))):
                    out[index][axis] = round(float(values[axis]), 4)
        return out

    inertia = [
        round(float(sigma[axis] ** 2 / total_inertia), 4)
        if axis < len(sigma) and total_inertia
        else 0.0
        for axis in range(dimensions)
    ]
    return {
        "rows": padded(row_coords, keep_rows, n_rows),
        "columns": padded(column_coords, keep_columns, n_columns),
        "inertia": inertia,
        "total_inertia": round(total_inertia, 4),
    }


def word_segment_table(
    items: Iterable[tuple[str, frozenset[str]]], *, top: int = 40, min_count: int = 3
) -> tuple[list[str], list[str], list[list[int]]]:
    """(words, segments, counts): the ``top`` most frequent words (in ≥ ``min_count`` items) ×
    segments, counting items (a word counts once per item)."""
    per_segment: dict[str, Counter[str]] = {}
    frequency: Counter[str] = Counter()
    for segment, terms in items:
        per_segment.setdefault(segment, Counter()).update(terms)
        frequency.update(terms)
    words = [word for word, n in frequency.most_common(top) if n >= min_count]
    segments = sorted(per_segment)
    table = [[per_segment[segment][word] for segment in segments] for word in words]
    return words, segments, table


def ca_map(items: Sequence[tuple[str, frozenset[str]]], *, top: int = 40) -> dict[str, Any]:
    """The data of the correspondence-analysis map (words and segments as points)."""
    words, segments, table = word_segment_table(items, top=top)
    # No word frequent enough (few items): an all-zero table, so every segment still has a point.
    result = correspondence_analysis(table or [[0] * len(segments)])
    return {
        "words": [
            {"label": word, "x": xy[0], "y": xy[1], "n": sum(row)}
            for word, xy, row in zip(words, result["rows"][: len(words)], table, strict=True)
        ],
        "segments": [
            {"label": segment, "x": xy[0], "y": xy[1]}
            for segment, xy in zip(segments, result["columns"], strict=True)
        ],
        "inertia": result["inertia"],
        "drawable": bool(words) and len(segments) >= 2 and math.isfinite(result["total_inertia"]),
    }
