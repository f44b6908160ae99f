"""Feedback outside surveys: support inquiries, reviews and SNS posts."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from engagement.customers.models import BuiltinBehaviour as K
from engagement.customers.models import Touchpoint as T
from engagement.demo import people
from engagement.demo.texts import THEMES, compose_feedback

from .draws import REVIEW_THEMES, SUPPORT_THEMES, clip, moment
from .plans import BehaviourPlan, CustomerPlan, FeedbackPlan
from .timeline import AS_OF, HISTORY_DAYS, TOKYO


def support(rng: random.Random, plan: CustomerPlan, week: datetime, z: float) -> None:
    tp = rng.choice([T.CALL_CENTER, T.CALL_CENTER, T.EMAIL])
    at = moment(rng, week, tp)
    theme = plan.pain_theme if rng.random() < 0.5 else rng.choice(SUPPORT_THEMES)
    n = len(plan.behaviours)
    plan.behaviours.append(
        BehaviourPlan(K.SUPPORT_CONTACT, at, tp, None, {"topic": THEMES[theme].label})
    )
    if rng.random() < 0.6:
        sentiment = "negative" if rng.random() < 0.7 else "neutral"
        text = compose_feedback(
            rng, theme=theme, sentiment=sentiment, register="polite", mixed_chance=0
        )
        plan.feedback.append(
            FeedbackPlan(
                "support", at, text, theme, sentiment, tp, None, f"{plan.external_id}-inq-{n}"
            )
        )


def review(rng: random.Random, plan: CustomerPlan, week: datetime, z: float) -> None:
    tp = rng.choice([T.WEB, T.APP])
    at = moment(rng, week, tp)
    rating = clip(3.4 + 1.0 * z + rng.gauss(0, 0.9), 1, 5)
    n = len(plan.behaviours)
    plan.behaviours.append(BehaviourPlan(K.REVIEW, at, tp, None, {"rating": rating}))
    if rating >= 4:
        theme, sentiment = rng.choice(REVIEW_THEMES), "positive"
    elif rating <= 2:
        theme = plan.pain_theme if rng.random() < 0.5 else rng.choice(REVIEW_THEMES)
        sentiment = "negative"
    else:
        theme, sentiment = (
            rng.choice(REVIEW_THEMES),
            rng.choice(["neutral", "negative", "positive"]),
        )
    text = compose_feedback(rng, theme=theme, sentiment=sentiment)
    plan.feedback.append(
        FeedbackPlan(
            "review", at, text, theme, sentiment, tp, rating, f"{plan.external_id}-rev-{n}"
        )
    )


def sns(rng: random.Random, plan: CustomerPlan, week: datetime, z: float) -> None:
    at = moment(rng, week, T.SNS)
    action = "comment" if rng.random() < 0.3 else "like"
    n = len(plan.behaviours)
    platform = rng.choice(people.SNS_PLATFORMS)
    plan.behaviours.append(
        BehaviourPlan(K.SNS_ENGAGEMENT, at, T.SNS, None, {"platform": platform, "action": action})
    )
    if action == "comment" and rng.random() < 0.5:
        sentiment = "positive" if z + rng.gauss(0, 0.8) > -0.2 else "negative"
        theme = rng.choice(list(THEMES)) if sentiment == "positive" else plan.pain_theme
        text = compose_feedback(
            rng,
            theme=theme,
            sentiment=sentiment,
            register=rng.choice(["casual", "casual", "terse"]),
        )
        plan.feedback.append(
            FeedbackPlan(
                "sns", at, text, theme, sentiment, T.SNS, None, f"{plan.external_id}-sns-{n}"
            )
        )


def anonymous_sns_posts(seed: int, count: int) -> list[FeedbackPlan]:
    """SNS posts about the brand by people who are not (known) customers."""
    rng = random.Random(f"demo:{seed}:sns")
    start = datetime.combine(
        AS_OF - timedelta(days=HISTORY_DAYS), datetime.min.time(), tzinfo=TOKYO
    )
    posts = []
    for i in range(count):
        sentiment = rng.choices(["positive", "neutral", "negative"], weights=[0.45, 0.15, 0.4])[0]
        theme = rng.choice(list(THEMES))
        at = moment(rng, start + timedelta(days=rng.randrange(HISTORY_DAYS - 7)), T.SNS)
        text = compose_feedback(
            rng, theme=theme, sentiment=sentiment, register=rng.choice(["casual", "terse"])
        )
        posts.append(
            FeedbackPlan("sns", at, text, theme, sentiment, T.SNS, None, f"sns-{seed}-{i}")
        )
    return posts
