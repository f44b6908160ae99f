"""Offline sentiment from the unidic-lite tokens: a small polarity lexicon with negation flipping.

Each token's lemma has a polarity (+1 … −1). A negated token (``良い_ない``) flips it
(良くない → negative, 問題ない → positive); a negated word with no polarity of its own
(届かない, 使えない, 返信がない) counts as a mild complaint. The score is the sum divided by
√(number of polar tokens), so one strong word decides a short text and long texts are not
pushed to the extremes; |score| < 0.3 is neutral.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from voc.tokenize import NEGATION_SUFFIX, words

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
