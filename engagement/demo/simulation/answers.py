"""How a customer answers a survey wave: NPS, awareness and CSAT from the latent engagement,
and the free text that goes with their NPS category."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from engagement.demo.texts import THEMES, compose_feedback

from .draws import HOURS_ONLINE, HOURS_ONLINE_WEIGHTS, clip
from .plans import AnswerPlan, CustomerPlan
from .timeline import FIX_DATE, FIXED_THEME, WaveSpec


def _answer(
    rng: random.Random, plan: CustomerPlan, wave: int, at: datetime, z: float
) -> AnswerPlan:
    nps = clip(6.9 + 1.9 * z + rng.gauss(0, 1.3), 0, 10)
    awareness = {}
    for item in ("like", "satisfied", "devotion", "grateful", "would_miss"):
        awareness[item] = clip(3.1 + 0.9 * z + rng.gauss(0, 0.8), 1, 5)
    for item, offset in (("support", -0.3), ("spread", -0.4), ("vision", -0.6)):
        awareness[item] = clip(3.1 + offset + 0.9 * z + rng.gauss(0, 0.8), 1, 5)
    category = "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
    after_fix = at >= FIX_DATE
    pain = plan.pain_theme
    delight = rng.choice([c for c in THEMES if c != pain])
    roll = rng.random()
    improved = False
    if category == "detractor":
        theme, sentiment = (
            (pain, "negative") if roll < 0.7 else (rng.choice(list(THEMES)), "negative")
        )
        if roll > 0.88:
            sentiment = "neutral"
        if after_fix and theme == FIXED_THEME and rng.random() < 0.85:
            theme = rng.choice([c for c in THEMES if c != FIXED_THEME])
        write = rng.random() < 0.78
    elif category == "passive":
        theme, sentiment = (
            (pain, "negative")
            if roll < 0.4
            else (pain, "neutral")
            if roll < 0.7
            else (delight, "positive")
        )
        write = rng.random() < 0.58
    else:
        theme, sentiment = (delight, "positive") if roll < 0.85 else (pain, "neutral")
        write = rng.random() < 0.66
    if after_fix and pain == FIXED_THEME and category != "detractor" and rng.random() < 0.75:
        theme, sentiment, improved = FIXED_THEME, "positive", True
    touchpoint = rng.choice(THEMES[theme].touchpoints)
    hurt = sentiment == "negative"
    csat = clip(3.5 + 0.75 * z - (0.7 if hurt else 0) + rng.gauss(0, 0.7), 1, 5)
    reason = None
    if write:
        text = compose_feedback(
            rng, theme=theme, sentiment=sentiment, improved=improved, mixed_chance=0.12
        )
        reason = (theme, sentiment, text)
    ideas = None
    if rng.random() < 0.28:
        idea_theme = pain if rng.random() < 0.5 else rng.choice(list(THEMES))
        ideas = (
            idea_theme,
            "neutral",
            compose_feedback(rng, theme=idea_theme, sentiment="neutral"),
        )
    return AnswerPlan(wave, at, nps, awareness, csat, touchpoint, reason, ideas)


def maybe_answer(
    rng: random.Random, plan: CustomerPlan, wave_index: int, wave: WaveSpec, z: float
) -> AnswerPlan | None:
    if rng.random() >= min(0.8, max(0.15, 0.46 + 0.12 * z)):
        return None
    delay = min(rng.expovariate(1 / 5), (wave.field_end - wave.field_start).days - 1)
    at = wave.field_start + timedelta(days=delay)
    at = at.replace(
        hour=rng.choices(HOURS_ONLINE, weights=HOURS_ONLINE_WEIGHTS)[0], minute=rng.randrange(60)
    )
    at = max(at, wave.field_start + timedelta(minutes=rng.randrange(1, 600)))
    at = min(at, wave.field_end - timedelta(minutes=1))
    return _answer(rng, plan, wave_index, at, z + rng.gauss(0, 0.25))
