"""Random draws shared by the simulation: weights, times of day, touchpoints, prices."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from engagement.customers.models import Touchpoint as T

PAIN_WEIGHTS = {
    "delivery": 30, "price": 13, "app": 10, "support": 9, "quality": 8, "cancellation": 5,
    "points": 6, "store_staff": 7, "assortment": 7, "packaging": 4, "membership": 5,
    "login": 5, "payment": 4, "newsletter": 4, "returns": 4,
}  # fmt: skip
SUPPORT_THEMES = ["support", "returns", "login", "payment", "cancellation", "points", "delivery"]
REVIEW_THEMES = ["quality", "assortment", "price", "packaging", "delivery"]
HOURS_ONLINE = list(range(24))
HOURS_ONLINE_WEIGHTS = [
    1,
    1,
    0.5,
    0.3,
    0.2,
    0.3,
    1,
    2,
    3,
    3,
    3,
    3,
    5,
    4,
    3,
    3,
    3,
    4,
    5,
    6,
    8,
    9,
    8,
    4,
]
HOURS_STORE = list(range(10, 21))


def clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def weighted(rng: random.Random, pairs: list[tuple[str, float]] | list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def poisson(rng: random.Random, lam: float) -> int:
    limit, k, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def moment(rng: random.Random, day_start: datetime, touchpoint: str) -> datetime:
    hour = (
        rng.choice(HOURS_STORE)
        if touchpoint == T.STORE
        else rng.choices(HOURS_ONLINE, weights=HOURS_ONLINE_WEIGHTS)[0]
    )
    day = day_start + timedelta(days=rng.randrange(7))
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def shop_touchpoint(rng: random.Random, channel: str, age_band: str) -> str:
    app_share = 0.55 if age_band in ("10代", "20代", "30代") else 0.25
    online = {"オンライン中心": 0.9, "店舗中心": 0.15, "併用": 0.5}[channel]
    if rng.random() >= online:
        return T.STORE
    return T.APP if rng.random() < app_share else T.WEB


def basket_price(rng: random.Random, basket: int) -> int:
    return max(300, int(round(rng.lognormvariate(math.log(basket), 0.5), -1)))
