"""Compose realistic Japanese feedback from the theme templates, deterministically per seed."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from engagement.customers.models import Touchpoint

from . import themes_commerce as commerce
from . import themes_digital as digital
from . import themes_service as service
from .variants import add_noise


@dataclass(frozen=True)
class Theme:
    code: str
    label: str  # Japanese label, as analysts would name the topic
    label_en: str
    touchpoints: tuple[str, ...]  # where customers meet this theme, most typical first
    sentences: dict[str, dict[str, list[str]]]


THEMES: dict[str, Theme] = {
    theme.code: theme
    for theme in [
        Theme("delivery", "配送", "Delivery", (Touchpoint.WEB, Touchpoint.APP), commerce.DELIVERY),
        Theme("price", "価格", "Price", (Touchpoint.WEB, Touchpoint.STORE), commerce.PRICE),
        Theme("app", "アプリの使いやすさ", "App usability", (Touchpoint.APP,), digital.APP),
        Theme(
            "support",
            "サポート対応",
            "Customer support",
            (Touchpoint.CALL_CENTER, Touchpoint.EMAIL),
            service.SUPPORT,
        ),
        Theme(
            "quality",
            "品質",
            "Product quality",
            (Touchpoint.STORE, Touchpoint.WEB),
            commerce.QUALITY,
        ),
        Theme(
            "cancellation",
            "解約手続き",
            "Cancellation",
            (Touchpoint.WEB, Touchpoint.CALL_CENTER),
            service.CANCELLATION,
        ),
        Theme(
            "points",
            "ポイント",
            "Loyalty points",
            (Touchpoint.APP, Touchpoint.STORE),
            service.POINTS,
        ),
        Theme(
            "store_staff", "店舗スタッフ", "Store staff", (Touchpoint.STORE,), service.STORE_STAFF
        ),
        Theme(
            "assortment",
            "品揃え",
            "Assortment",
            (Touchpoint.STORE, Touchpoint.WEB),
            commerce.ASSORTMENT,
        ),
        Theme("packaging", "梱包", "Packaging", (Touchpoint.WEB,), commerce.PACKAGING),
        Theme(
            "membership",
            "会員ランク",
            "Membership rank",
            (Touchpoint.APP, Touchpoint.WEB),
            service.MEMBERSHIP,
        ),
        Theme(
            "login",
            "ログイン・アカウント",
            "Login and account",
            (Touchpoint.APP, Touchpoint.WEB),
            digital.LOGIN,
        ),
        Theme("payment", "決済", "Payment", (Touchpoint.WEB, Touchpoint.APP), digital.PAYMENT),
        Theme(
            "newsletter",
            "メール配信",
            "E-mail newsletters",
            (Touchpoint.EMAIL,),
            digital.NEWSLETTER,
        ),
        Theme(
            "returns",
            "返品・交換",
            "Returns and exchanges",
            (Touchpoint.WEB, Touchpoint.CALL_CENTER),
            commerce.RETURNS,
        ),
    ]
}

SENTIMENTS = ("positive", "neutral", "negative")
_KEY = {"positive": "pos", "neutral": "neu", "negative": "neg"}
REGISTERS = ("polite", "casual", "terse")
REGISTER_WEIGHTS = (0.47, 0.35, 0.18)

SLOTS: dict[str, list[str]] = {
    "product": [
        "コーヒー豆",
        "ドリップバッグ",
        "バスタオル",
        "マグカップ",
        "お米",
        "オリーブオイル",
        "シャンプー",
        "ハンドクリーム",
        "化粧水",
        "スニーカー",
        "Tシャツ",
        "リュック",
        "フライパン",
        "収納ケース",
        "加湿器",
        "緑茶",
        "お菓子の詰め合わせ",
        "ベビー服",
        "ドッグフード",
        "ノート",
        "折りたたみ傘",
        "パジャマ",
    ],
    "store": [
        "新宿店",
        "渋谷店",
        "池袋店",
        "横浜店",
        "梅田店",
        "なんば店",
        "名古屋栄店",
        "札幌店",
        "仙台店",
        "福岡天神店",
        "京都店",
        "神戸三宮店",
        "広島店",
        "駅前の店舗",
    ],
    "days": ["3日", "4日", "5日", "1週間", "10日", "2週間"],
    "fast_days": ["翌日", "2日", "1日"],
    "wait": ["20分", "30分", "40分", "1時間"],
    "price": ["800円", "990円", "1,100円", "660円"],
    "points": ["5", "10", "3"],
}

OPENERS = {
    "polite": [
        "いつも利用させていただいております。",
        "{years}年ほど利用しています。",
        "初めて利用しました。",
        "店舗とオンラインの両方で利用しています。",
        "家族でよく利用しています。",
    ],
    "casual": [
        "正直、",
        "うーん、",
        "いつも使ってるけど、",
        "ひとことだけ。",
        "毎月使ってるけど、",
    ],
}
CLOSERS = {
    ("polite", "negative"): [
        "改善をお願いいたします。",
        "早急に対応していただきたいです。",
        "このままだと他のお店に変えてしまうかもしれません。",
        "今後に期待しています。",
    ],
    ("polite", "positive"): [
        "これからも利用したいと思います。",
        "友人にもすすめたいです。",
        "今後ともよろしくお願いいたします。",
        "ありがとうございます。",
    ],
    ("polite", "neutral"): ["ご検討よろしくお願いいたします。", "よろしくお願いします。"],
    ("casual", "negative"): ["なんとかして", "改善してほしい", "もう使わないかも", "残念"],
    ("casual", "positive"): ["また買う！", "リピ確定", "友達にもすすめた", "これからも使う"],
    ("casual", "neutral"): ["よろしく", "検討してほしいな"],
}
BUT = {"polite": "ただ、", "casual": "でも", "terse": "ただ"}


class FeedbackText(NamedTuple):
    theme: str
    text: str
    sentiment: str


def _slot_values(rng: random.Random) -> dict[str, str]:
    """One writer's product, store, durations …: the same within one piece of feedback."""
    values = {name: rng.choice(options) for name, options in SLOTS.items()}
    values["years"] = str(rng.randint(2, 10))
    return values


def _templates(theme: Theme, key: str, register: str) -> list[str]:
    by_register = theme.sentences[key]
    if by_register.get(register):
        return by_register[register]
    return by_register["polite"]


def compose_feedback(
    rng: random.Random,
    *,
    theme: str,
    sentiment: str,
    register: str | None = None,
    improved: bool = False,
    mixed_chance: float = 0.15,
) -> str:
    """One piece of feedback about ``theme`` with ``sentiment`` (positive/neutral/negative).

    ``improved`` picks from the theme's "it got better" sentences when it has them (the demo's
    second wave after the fix). ``mixed_chance`` adds, now and then, a contrasting remark about
    another theme, as real comments often do ("良いけど、…").
    """
    spec = THEMES[theme]
    register = register or rng.choices(REGISTERS, weights=REGISTER_WEIGHTS)[0]
    key = "improved" if improved and "improved" in spec.sentences else _KEY[sentiment]
    pool = _templates(spec, key, register)
    count = 1 if register == "terse" else rng.choices([1, 2, 3], weights=[0.5, 0.35, 0.15])[0]
    slots = _slot_values(rng)
    parts = [t.format(**slots) for t in rng.sample(pool, min(count, len(pool)))]
    if register != "terse" and rng.random() < 0.3:
        parts.insert(0, rng.choice(OPENERS[register]).format(**slots))
    if sentiment != "neutral" and rng.random() < mixed_chance:
        other = THEMES[rng.choice([code for code in THEMES if code != theme])]
        other_key = "neg" if sentiment == "positive" else "pos"
        remark = rng.choice(_templates(other, other_key, register)).format(**slots)
        parts.append(BUT[register] + remark)
    if register != "terse" and rng.random() < 0.25:
        parts.append(rng.choice(CLOSERS[(register, "neutral" if improved else sentiment)]))
    if register == "terse":
        text = " ".join(parts)
    else:
        separator = "\n" if register == "polite" and len(parts) > 2 and rng.random() < 0.3 else ""
        text = separator.join(_sentence(part, register) for part in parts)
    return add_noise(text, rng, register=register, sentiment=sentiment)


def _sentence(part: str, register: str) -> str:
    if register == "casual" and part[-1] not in "。、！？!?…」":
        return part + "。"
    return part


def generate_feedback_texts(
    n: int,
    seed: int = 0,
    *,
    themes: Sequence[str] | None = None,
    sentiment_weights: tuple[float, float, float] = (0.3, 0.15, 0.55),
) -> Iterator[FeedbackText]:
    """Yield ``n`` labelled texts ``(theme, text, sentiment)``; the same seed gives the same texts.

    Themes rotate evenly (shuffled) so that every theme is represented; sentiment is drawn with
    ``sentiment_weights`` in the order positive, neutral, negative. Usable as a labelled
    evaluation set for topic clustering (the label is the theme code).
    """
    rng = random.Random(f"feedback-texts:{seed}")
    codes = list(themes or THEMES)
    unknown = sorted(set(codes) - set(THEMES))
    if unknown:
        raise ValueError(f"unknown themes: {', '.join(unknown)}")
    order: list[str] = []
    for _ in range(n):
        if not order:
            order = codes[:]
            rng.shuffle(order)
        theme = order.pop()
        sentiment = rng.choices(SENTIMENTS, weights=sentiment_weights)[0]
        yield FeedbackText(
            theme, compose_feedback(rng, theme=theme, sentiment=sentiment), sentiment
        )
