"""The feedback text generator: deterministic, broad (themes), and typed like real people type."""

from __future__ import annotations

import re
from collections import Counter

from engagement.demo.texts import THEMES, compose_feedback, generate_feedback_texts
from engagement.demo.texts.variants import to_halfwidth_katakana

HALFWIDTH_KANA = re.compile(r"[\uff66-\uff9f]")
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
FULLWIDTH_DIGIT = re.compile(r"[０-９]")
LAUGH = re.compile(r"笑|ｗｗｗ|www|w$|草")


def test_same_seed_same_texts_and_different_seed_differs():
    first = list(generate_feedback_texts(200, seed=3))
    again = list(generate_feedback_texts(200, seed=3))
    other = list(generate_feedback_texts(200, seed=4))
    assert first == again
    assert [t.text for t in first] != [t.text for t in other]


def test_covers_at_least_twelve_themes_evenly_and_all_sentiments():
    texts = list(generate_feedback_texts(600, seed=1))
    themes = Counter(t.theme for t in texts)
    assert len(THEMES) >= 12
    assert set(themes) == set(THEMES)
    assert min(themes.values()) >= 600 // len(THEMES) - 1
    assert {t.sentiment for t in texts} == {"positive", "neutral", "negative"}
    assert all(t.text.strip() for t in texts)


def test_spelling_and_register_variants_occur():
    texts = [t.text for t in generate_feedback_texts(1500, seed=2)]
    assert sum(bool(HALFWIDTH_KANA.search(t)) for t in texts) >= 20
    assert sum(bool(EMOJI.search(t)) for t in texts) >= 20
    assert sum(bool(FULLWIDTH_DIGIT.search(t)) for t in texts) >= 5
    assert sum(bool(LAUGH.search(t)) for t in texts) >= 10
    polite = sum("ます" in t or "です" in t for t in texts)
    casual = sum(not ("ます" in t or "です" in t) for t in texts)
    assert polite > 300 and casual > 300
    lengths = sorted(len(t) for t in texts)
    assert lengths[0] <= 8 and lengths[-1] >= 100  # terse notes and long letters


def test_halfwidth_conversion_keeps_voiced_marks():
    import random

    assert to_halfwidth_katakana("アプリのログイン", random.Random(0)) == "ｱﾌﾟﾘのﾛｸﾞｲﾝ"


def test_sentiment_is_reflected_in_the_words():
    import random

    rng = random.Random(5)
    negatives = [compose_feedback(rng, theme="delivery", sentiment="negative") for _ in range(40)]
    positives = [compose_feedback(rng, theme="delivery", sentiment="positive") for _ in range(40)]
    assert sum(bool(re.search("遅|届かず|かかり|来ない|待っ|不安|困", t)) for t in negatives) >= 30
    assert sum(bool(re.search("早|助か|便利|守", t)) for t in positives) >= 30


def test_unknown_theme_is_refused():
    import pytest

    with pytest.raises(ValueError, match="unknown themes"):
        list(generate_feedback_texts(3, seed=1, themes=["delivery", "weather"]))
