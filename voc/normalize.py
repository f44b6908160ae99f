"""Normalisation of Japanese feedback text before analysis (the stored original never changes).

- Unicode NFKC: half-width katakana become full-width (ｱﾌﾟﾘ → アプリ), full-width alphanumerics
  become ASCII (ＡＢＣ１２３ → ABC123).
- URLs, e-mail addresses and phone numbers are masked (``[URL]``, ``[EMAIL]``, ``[TEL]``) so they
  neither leak into topic labels nor split into noise tokens.
- Laughter marks (ｗｗｗ, 笑笑, (笑)) become one ``笑``; repeated punctuation and long-vowel
  marks are collapsed (！！！ → !, 。。。 → …, すごーーい → すごーい).
- Control characters are removed and whitespace collapsed.
- HTML (a form or an e-mail pasted as markup): tags, comments, scripts and styles are removed
  and entities decoded (``&amp;`` → ``&``), so only the words remain.
"""

from __future__ import annotations

import html
import re
import unicodedata

URL_MASK = "[URL]"
EMAIL_MASK = "[EMAIL]"
PHONE_MASK = "[TEL]"
MASKS = frozenset({"URL", "EMAIL", "TEL"})

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'「」（）()]+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\d-])(?:\+81[-\s]?\d{1,4}|0\d{1,4})[-\s]?\d{1,4}[-\s]?\d{3,4}(?![\d-])")
_LAUGH = re.compile(
    r"[(]笑[)]|笑{2,}|(?<![A-Za-z])[wW]{2,}(?![A-Za-z])|(?<=[^\x00-\x7f])[wW](?![A-Za-z])"
)
_REPEAT_PUNCT = re.compile(r"([!?！？、,~〜ー♪☆★])\1+")
_ELLIPSIS = re.compile(r"(?:\.{2,}|。{2,}|…+|・{3,})")
# Control characters, zero-width and direction marks, and the private-use area (old carriers'
# emoji; the tokeniser uses one private-use character as a boundary between texts).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff\ue000-\uf8ff]"
)
_SPACE = re.compile(r"\s+")
_HTML_BLOCK = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,500})?/?>")
_HTML_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")
_DIGITS = re.compile(r"\d{3}")
# Anything any of the steps below could change (most feedback has none of it: one search).
_WORK = re.compile(r"[@wW笑…\s]|https?:|\d{3}|\.\.|。。|・・・|([!?、,~〜ー♪☆★])\1", re.IGNORECASE)


_BLOCK_TAGS = frozenset(
    [
        "br",
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "table",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "blockquote",
        "hr",
    ]
)


def _tag_break(match: re.Match[str]) -> str:
    """A block tag separates words (a space); an inline tag (b, span, a) joins them."""
    name = match.group(0).strip("</>").split()[0].rstrip("/").lower() if match.group(0) else ""
    return " " if name in _BLOCK_TAGS else ""


def normalize_text(text: str | None) -> str:
    """The analysis form of ``text``: NFKC, masks, collapsed repetition, single spaces."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", text)
    if "<" in value and ">" in value:
        value = _HTML_TAG.sub(_tag_break, _HTML_BLOCK.sub(" ", value))
    if "&" in value and ";" in value:
        value = (
            unicodedata.normalize("NFKC", html.unescape(value))
            if _HTML_ENTITY.search(value)
            else value
        )
    if value.isprintable() and not _WORK.search(value):
        return value
    # Each pattern runs only when a cheap test says it may match.
    if not value.isprintable():
        value = _CONTROL.sub("", value)
    if "@" in value:
        value = _EMAIL.sub(f" {EMAIL_MASK} ", value)
    lowered = value.lower()
    if "http" in lowered or "www." in lowered:
        value = _URL.sub(f" {URL_MASK} ", value)
    if _DIGITS.search(value):
        value = _PHONE.sub(f" {PHONE_MASK} ", value)
    if "w" in value or "W" in value or "笑" in value:
        value = _LAUGH.sub("笑", value)
    if ".." in value or "。。" in value or "…" in value or "・・・" in value:
        value = _ELLIPSIS.sub("…", value)
    value = _REPEAT_PUNCT.sub(r"\1", value)
    if " " in value or not value.isprintable():
        value = _SPACE.sub(" ", value).strip()
    return value
