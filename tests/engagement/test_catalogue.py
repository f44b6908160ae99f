"""The Japanese catalogue reads as Japanese: every msgid translated, nothing fuzzy, no English
word left in a translation (deny list below), the glossary's words used (docs/glossary.md), and
no two different ideas sharing one Japanese word where the issue found them."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
JA_PO = ROOT / "engagement" / "locale" / "ja" / "LC_MESSAGES" / "django.po"

# English words that have a Japanese word in the glossary (or are plain English prose): none
# of them may remain in a Japanese msgstr. Abbreviations that Japanese teams write as they are
# (NPS, CSAT, CSV, VoC, API, CLV, LTV, SNS, QR, ID, URL, Excel, Wilson, Welch…) are not listed.
DENY = {
    "survey",
    "surveys",
    "wave",
    "waves",
    "topic",
    "topics",
    "feedback",
    "customer",
    "customers",
    "item",
    "items",
    "state",
    "status",
    "change",
    "answer",
    "answers",
    "response",
    "responses",
    "promoter",
    "promoters",
    "passive",
    "passives",
    "detractor",
    "detractors",
    "touchpoint",
    "touchpoints",
    "segment",
    "segments",
    "sentiment",
    "owner",
    "report",
    "reports",
    "repeat",
    "churn",
    "rate",
    "yen",
    "points",
    "reference",
    "value",
    "values",
    "the",
    "and",
    "of",
    "to",
    "for",
    "with",
    "by",
    "in",
    "is",
    "are",
    "not",
    "no",
    "yes",
    "all",
    "none",
    "other",
    "others",
    "new",
    "open",
    "closed",
    "draft",
    "done",
    "pending",
    "failed",
    "running",
    "progress",
    "save",
    "delete",
    "add",
    "edit",
    "search",
    "filter",
    "download",
    "export",
    "import",
    "select",
    "choose",
    "apply",
    "cancel",
    "send",
    "sign",
    "login",
    "logout",
    "password",
    "user",
    "users",
    "team",
    "teams",
    "tag",
    "tags",
    "note",
    "notes",
    "reply",
    "replies",
    "action",
    "actions",
    "date",
    "time",
    "period",
    "count",
    "counts",
    "total",
    "share",
    "trend",
    "positive",
    "negative",
    "neutral",
    "mixed",
}
# Internal codes that are no names for people ("Repeat rate (001)").
CODES = re.compile(r"[（(]00\d[）)]")
# Placeholders, tags, URLs, e-mail addresses, command names (refresh_customer_values), literal
# values quoted as 「page」 (lower-case identifiers) and product names written in Latin script
# in Japanese too.
PLACEHOLDERS = re.compile(
    r"%\([^)]*\)[sdfr]|%[sdf]|\{[^}]*\}|<[^>]+>|https?://\S+|\S+@\S+|[A-Za-z]+(?:_[A-Za-z]+)+"
    r"|「[a-z_]+」|Microsoft Teams|Teams"
)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _catalogue() -> polib.POFile:
    return polib.pofile(str(JA_PO))


def _texts(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr, *entry.msgstr_plural.values()] if entry.msgid_plural else [entry.msgstr]


def english_words(text: str) -> list[str]:
    """The denied English words in a translation (placeholders, tags, URLs left out)."""
    bare = PLACEHOLDERS.sub(" ", text)
    found = [w for w in WORD.findall(bare) if w.lower().strip("'’-") in DENY]
    if CODES.search(bare):
        found.append(CODES.search(bare).group(0))
    return found


def test_every_msgid_is_translated_and_none_is_fuzzy():
    catalogue = _catalogue()
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


def test_no_japanese_translation_keeps_an_english_word():
    leftovers = {
        entry.msgid: words
        for entry in _catalogue()
        for text in _texts(entry)
        if (words := english_words(text))
    }
    assert leftovers == {}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("survey で絞り込む", ["survey"]),
        ("リピート率（001）", ["（001）"]),
        ("%(filter_title)s で絞り込む", []),
        ("NPS・CSAT（1〜5）をCSVで", []),
        ("<a href='https://example.jp/x'>開く</a>", []),
        ("Open the item", ["Open", "the", "item"]),
        ("refresh_customer_values コマンド", []),
    ],
)
def test_the_deny_list_finds_english_words_and_spares_abbreviations(text, expected):
    assert english_words(text) == expected


def _translations(msgid: str) -> dict[str | None, str]:
    return {e.msgctxt: e.msgstr for e in _catalogue() if e.msgid == msgid}


def test_one_word_per_idea_where_the_issue_found_collisions():
    # "Change" is a verb on a button: the language switch and the status change say different
    # things, and neither overrides the admin's own 「変更」 links.
    change = _translations("Change")
    assert change == {"language switch": "切り替える", "action status": "変更する"}
    # 「回答中」 only for a survey response; a report action in progress is 実施中.
    progress = _translations("In progress")
    assert progress["survey response"] == "回答中"
    assert progress["improvement action"] == "実施中"
    assert progress["triage state"] != "回答中"
    # 「件数」 only for counts: a list of feedback and a form field are named otherwise.
    items = _translations("Items")
    assert items[None] == "件数"
    assert items["list of feedback"] == "フィードバック一覧"
    assert items["feedback to move"] == "対象のフィードバック"
    assert _translations("counts")[None] != "件数"


@pytest.mark.parametrize(
    "pattern, japanese, banned",
    [
        (r"\bwaves?\b", "ウェーブ", ("実施回", "調査回")),
        (r"\btouchpoints?\b", "顧客接点", ("タッチポイント",)),
        (r"\bstates?\b", "対応状況", ("状態",)),
    ],
)
def test_the_glossary_word_is_used_for_each_idea(pattern, japanese, banned):
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert japanese in glossary
    for entry in _catalogue():
        if re.search(pattern, entry.msgid, re.I) and "statement" not in entry.msgid.lower():
            for text in _texts(entry):
                assert not any(word in text for word in banned), (entry.msgid, text)
