"""Tokenisation of tricky real Japanese: half-width, negation, compounds, emoji, masks, empty and
very long texts; sentiment on the same tokens; the user dictionary."""

from __future__ import annotations

import pytest

from voc.normalize import normalize_text
from voc.sentiment import classify_tokens
from voc.tokenize import Lexicon, join_tokens, tokenize


def test_half_width_katakana_and_full_width_alphanumerics_normalise():
    assert normalize_text("ｱﾌﾟﾘのＬＯＧＩＮ画面１２３") == "アプリのLOGIN画面123"
    assert tokenize("ｱﾌﾟﾘが落ちる") == tokenize("アプリが落ちる") == ["アプリ", "落ちる"]


def test_negation_is_attached_so_opposites_differ():
    assert tokenize("アプリが使いにくい") == ["アプリ", "使いにくい"]
    assert tokenize("アプリが使いやすい") == ["アプリ", "使いやすい"]
    assert tokenize("使いやすくなかった") == ["使いやすい_ない"]
    assert tokenize("商品が届かない") == ["商品", "届く_ない"]
    assert tokenize("商品が届きません") == ["商品", "届く_ない"]
    assert tokenize("部屋は広くない") == ["部屋", "広い_ない"]
    assert tokenize("駐車場がありません") == ["駐車場_ない"]
    assert tokenize("届きました") == ["届く"]


def test_compound_nouns_stay_together():
    assert "定期便" in tokenize("定期便の解約をしたい")
    assert "ポイント還元" in tokenize("ポイント還元が少ない")
    assert "駐車場" in tokenize("駐車場が狭かった")
    assert tokenize("Wi-Fiが繋がらない") == ["Wi-Fi", "繋がる_ない"]


def test_fillers_particles_and_stop_words_are_dropped():
    tokens = tokenize("えっと、とりあえず、まあ、そういうことです。")
    assert tokens == []
    assert tokenize("行ってみたけど良かった") == ["行く", "良い"]  # 見る after て is an auxiliary


def test_laughter_emoji_and_repeated_punctuation():
    assert normalize_text("最高ｗｗｗ！！！") == "最高笑!"
    assert normalize_text("最高（笑）。。。") == "最高笑…"
    assert tokenize("ｱﾌﾟﾘ最高ｗｗｗ😊") == ["アプリ", "最高"]
    assert tokenize("😡😡😡") == []


def test_urls_emails_and_phone_numbers_are_masked():
    text = "詳しくは https://example.jp/a?b=1 か support@example.jp、03-1234-5678 まで"
    normalized = normalize_text(text)
    assert "example" not in normalized and "1234" not in normalized
    assert "[URL]" in normalized and "[EMAIL]" in normalized and "[TEL]" in normalized
    assert tokenize(text) == ["詳しい"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t　", None])
def test_empty_and_whitespace_only_text(text):
    assert tokenize(text) == []
    assert join_tokens([]) == ""


def test_five_thousand_character_text():
    text = ("チェックインの対応が丁寧で、朝食も美味しかったです。" * 200)[:5000]
    assert len(text) == 5000
    tokens = tokenize(text)
    assert tokens.count("朝食") >= 150
    assert "丁寧" in tokens


def test_join_tokens_has_boundaries():
    assert join_tokens(["解約", "定期便"]) == " 解約 定期便 "


def test_user_dictionary_synonyms_and_stop_words():
    lexicon = Lexicon(synonyms={"退会": "解約"}, stop_words=frozenset({"商品"}), version=2)
    assert tokenize("退会したい", lexicon) == ["解約"]
    assert tokenize("退会できない", lexicon) == ["解約_ない"]
    assert tokenize("商品が届かない", lexicon) == ["届く_ない"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("スタッフの対応が丁寧で満足しました", "positive"),
        ("部屋が汚くて最悪でした", "negative"),
        ("良くなかった", "negative"),
        ("問題なく使えています", "positive"),
        ("荷物が届かない", "negative"),
        ("チェックインしました", "neutral"),
        ("", "neutral"),
    ],
)
def test_sentiment_uses_tokens_and_flips_negation(text, expected):
    assert classify_tokens(tokenize(text))[0] == expected
