"""How real people type: half-width katakana, full-width digits, laughter, emoji, typos.

Every function takes the caller's ``random.Random`` so that the same seed gives the same text.
"""

from __future__ import annotations

import random
import re
import unicodedata


def _build_halfwidth_table() -> dict[str, str]:
    """Full-width katakana (and long-vowel mark, punctuation) -> half-width, incl. ガ -> ｶﾞ."""
    table: dict[str, str] = {}
    bases = [chr(c) for c in range(0xFF61, 0xFFA0)]
    for base in bases:
        full = unicodedata.normalize("NFKC", base)
        if len(full) == 1 and full not in table:
            table[full] = base
        for mark in ("ﾞ", "ﾟ"):
            combined = unicodedata.normalize("NFKC", base + mark)
            if len(combined) == 1 and combined != full:
                table.setdefault(combined, base + mark)
    # Keep Japanese punctuation full-width: people who type ｱﾌﾟﾘ still type 。、
    for mark in ("。", "、", "「", "」", "・"):
        table.pop(mark, None)
    return table


HALFWIDTH = _build_halfwidth_table()
_KATAKANA_RUN = re.compile(r"[ァ-ヴー]{2,}")
_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")

LAUGHS = ["笑", "（笑）", "ｗｗｗ", "www", "w", "(笑)", "草"]
EMOJI = {
    "positive": ["😊", "👍", "✨", "💕", "🎉", "😆", "🙆‍♀️", "☺️"],
    "negative": ["😢", "💢", "😞", "😡", "🙏", "💦", "😓"],
    "neutral": ["🤔", "🙏", "💡", "😅"],
}
KAOMOJI = {
    "positive": ["(^^)", "(*^^*)", "(^_^)v", "(≧▽≦)"],
    "negative": ["(T_T)", "(´・ω・`)", "(-_-;)", "orz"],
    "neutral": ["(・_・)", "(^_^;)"],
}
# IME mis-conversions and notation variants Japanese customers really produce.
TYPO_SWAPS = [
    ("意外", "以外"),
    ("問い合わせ", "問合せ"),
    ("問い合わせ", "問い合せ"),
    ("ください", "下さい"),
    ("してほしい", "して欲しい"),
    ("分かり", "わかり"),
    ("分かり", "解り"),
    ("良い", "よい"),
    ("とても", "とっても"),
    ("です。", "です、"),
    ("ました", "ますた"),
    ("ログイン", "ログイイン"),
    ("アプリ", "アプル"),
    ("届かず", "届がず"),
    ("すごく", "すごく、すごく"),
    ("早い", "速い"),
    ("見られ", "見れ"),
    ("いただけると", "頂けると"),
    ("店員", "定員"),
    ("対応", "対王"),
]


# Everyday paraphrases: the same thought, worded the way different people word it.
SYNONYMS = [
    ("とても", ["すごく", "本当に", "かなり", "大変", "めちゃくちゃ"]),
    ("助かりました", ["ありがたかったです", "本当に助かりました", "うれしかったです"]),
    ("助かります", ["ありがたいです", "うれしいです", "便利です"]),
    ("残念です", ["がっかりです", "残念に思います", "悲しいです"]),
    ("困りました", ["困ってしまいました", "本当に困りました", "不便でした"]),
    ("分かりにくい", ["わかりづらい", "分かりづらい", "不親切"]),
    ("使いにくい", ["使いづらい", "使い勝手が悪い"]),
    ("いつも", ["毎回", "普段から", "いつも"]),
    ("感じます", ["思います", "感じています"]),
    ("うれしい", ["嬉しい", "ありがたい"]),
    ("めっちゃ", ["すごく", "マジで", "超"]),
    ("思います", ["感じます", "思いました"]),
]


def vary_wording(text: str, rng: random.Random, *, share: float = 0.5) -> str:
    """Swap some everyday words for a synonym (each word with probability ``share``)."""
    for word, options in SYNONYMS:
        if word in text and rng.random() < share:
            text = text.replace(word, rng.choice(options), 1)
    return text


def to_halfwidth_katakana(text: str, rng: random.Random, *, share: float = 1.0) -> str:
    """Turn (a share of) the katakana words into half-width katakana: アプリ -> ｱﾌﾟﾘ."""

    def convert(match: re.Match[str]) -> str:
        word = match.group(0)
        if rng.random() > share:
            return word
        return "".join(HALFWIDTH.get(ch, ch) for ch in word)

    return _KATAKANA_RUN.sub(convert, text)


def to_fullwidth_digits(text: str) -> str:
    return text.translate(_FULLWIDTH_DIGITS)


def add_typo(text: str, rng: random.Random) -> str:
    candidates = [(a, b) for a, b in TYPO_SWAPS if a in text]
    if candidates and rng.random() < 0.8:
        old, new = rng.choice(candidates)
        return text.replace(old, new, 1)
    # A doubled or dropped kana, as when typing fast on a phone.
    positions = [i for i, ch in enumerate(text) if "ぁ" <= ch <= "ゖ"]
    if not positions:
        return text
    i = rng.choice(positions)
    if rng.random() < 0.5:
        return text[: i + 1] + text[i] + text[i + 1 :]
    return text[:i] + text[i + 1 :]


def vary_punctuation(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return text.replace("！", "!!")
    if roll < 0.5:
        return re.sub(r"。$", "…", text)
    if roll < 0.7:
        return text.rstrip("。")
    if roll < 0.85:
        return text.replace("。", "．")
    return text.replace("？", "?").replace("！", "！！")


def add_noise(text: str, rng: random.Random, *, register: str, sentiment: str) -> str:
    """Apply the spelling habits of one imagined writer to ``text``."""
    casual = register != "polite"
    text = vary_wording(text, rng)
    if rng.random() < (0.18 if casual else 0.06):
        text = to_halfwidth_katakana(text, rng, share=rng.choice([0.5, 1.0]))
    if any(ch.isdigit() for ch in text) and rng.random() < 0.35:
        text = to_fullwidth_digits(text)
    if rng.random() < 0.08:
        text = add_typo(text, rng)
    if rng.random() < 0.2:
        text = vary_punctuation(text, rng)
    if register == "casual" and sentiment != "neutral" and rng.random() < 0.18:
        text = text.rstrip("。") + rng.choice(LAUGHS)
    roll = rng.random()
    emoji_chance = {"casual": 0.22, "terse": 0.06, "polite": 0.05}[register]
    if roll < emoji_chance:
        text = text + rng.choice(EMOJI[sentiment]) * rng.choice([1, 1, 1, 2, 3])
    elif roll < emoji_chance + 0.04:
        text = text + rng.choice(KAOMOJI[sentiment])
    return text
