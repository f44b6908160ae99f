"""A customer's life, week by week: who they are, what they buy and do, when they answer."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from engagement.customers.models import BuiltinBehaviour as K
from engagement.customers.models import Touchpoint as T
from engagement.demo import people
from engagement.demo.texts import THEMES

from .answers import maybe_answer
from .draws import (
    PAIN_WEIGHTS,
    SUPPORT_THEMES,
    basket_price,
    moment,
    poisson,
    shop_touchpoint,
    weighted,
)
from .plans import BehaviourPlan, CustomerPlan
from .timeline import AFTER_ANSWER, AS_OF, FIX_DATE, FIXED_THEME, HISTORY_DAYS, TOKYO, WAVES
from .voices import review, sns, support


def _identity(rng: random.Random, index: int, segment: str) -> tuple[str, str]:
    surname, surname_r = rng.choice(people.SURNAMES)
    given, given_r = rng.choice(people.GIVEN_NAMES)
    domain = rng.choice(["example.jp", "example.com"])
    if segment == "法人":
        word, word_r = rng.choice(people.COMPANY_WORDS)
        kind, kind_r = rng.choice(people.COMPANY_KINDS)
        name = f"株式会社{word}{kind}（ご担当: {surname} {given}）"
        return name, f"{surname_r}.{word_r}-{kind_r}{index}@{domain}"
    style = rng.random()
    local = (
        f"{given_r}.{surname_r}"
        if style < 0.4
        else f"{surname_r}_{given_r[0]}"
        if style < 0.7
        else f"{given_r}{rng.randint(70, 99)}"
    )
    return f"{surname} {given}", f"{local}{index}@{domain}"


def _penalty(plan: CustomerPlan, at: datetime) -> float:
    """How much the customer's pain theme lowers their engagement at ``at``. Late deliveries
    hurt most until the fix, and hardly at all after it."""
    if plan.pain_theme == FIXED_THEME:
        return (0.12 if at >= FIX_DATE else 1.1) * plan.pain_severity
    return 0.7 * plan.pain_severity


def simulate_customer(seed: int, index: int) -> CustomerPlan:
    """The whole life of customer ``index`` under ``seed`` (independent of the customer count)."""
    rng = random.Random(f"demo:{seed}:{index}")
    segment = weighted(rng, [(name, spec[0]) for name, spec in people.SEGMENTS.items()])
    _share, mean_z, monthly_rate, basket = people.SEGMENTS[segment]
    name, email = _identity(rng, index, segment)
    age_band = "" if segment == "法人" else weighted(rng, people.AGE_BANDS)
    channel = weighted(rng, people.CHANNELS)
    plan_level = rng.choices(range(len(people.PLANS)), weights=people.PLAN_WEIGHTS)[0]
    signed_up = AS_OF - timedelta(days=int(HISTORY_DAYS * rng.random() ** 0.85))
    pain = rng.choices(list(PAIN_WEIGHTS), weights=list(PAIN_WEIGHTS.values()))[0]
    plan = CustomerPlan(
        index=index,
        external_id=f"C{100000 + index}",
        name=name,
        email=email,
        segment=segment,
        attributes={
            "prefecture": weighted(rng, people.PREFECTURES),
            "age_band": age_band,
            "channel": channel,
        }
        if segment != "法人"
        else {
            "prefecture": weighted(rng, people.PREFECTURES),
            "industry": people.industry_of(name),
            "channel": channel,
        },
        signed_up_on=signed_up,
        contact_allowed=rng.random() < 0.85,
        z=rng.gauss(mean_z, 0.9),
        pain_theme=pain,
        pain_severity=rng.uniform(0.2, 1.0),
    )
    _live(rng, plan, plan_level=plan_level, monthly_rate=monthly_rate, basket=basket)
    plan.attributes["plan"] = people.PLANS[plan.attributes.pop("_plan_level")]
    return plan


def _live(
    rng: random.Random, plan: CustomerPlan, *, plan_level: int, monthly_rate: float, basket: int
) -> None:
    """Week by week from sign-up to AS_OF: behaviours, survey answers, feedback."""
    week = datetime.combine(plan.signed_up_on, datetime.min.time(), tzinfo=TOKYO)
    end = datetime.combine(AS_OF, datetime.min.time(), tzinfo=TOKYO)
    channel, age_band = plan.attributes["channel"], plan.attributes.get("age_band", "")
    active, churned_at = True, None
    churn_boost_until = referral_boost_until = None
    add = plan.behaviours.append
    # Everyone starts with a first purchase in their sign-up week.
    first_tp = shop_touchpoint(rng, channel, age_band)
    category = rng.choice(list(people.CATEGORIES))
    add(
        BehaviourPlan(
            K.PURCHASE,
            moment(rng, week, first_tp),
            first_tp,
            basket_price(rng, basket),
            {"category": category, "first": True},
        )
    )
    while week < end:
        z = plan.z - _penalty(plan, week)
        if active:
            for wave_index, wave in enumerate(WAVES):
                if (
                    wave.field_start - timedelta(days=7) < week <= wave.field_start
                    and plan.signed_up_on < wave.field_start.date()
                    and plan.contact_allowed
                ):
                    plan.invited.append(wave_index)
                    answer = maybe_answer(rng, plan, wave_index, wave, z)
                    if answer:
                        plan.answers.append(answer)
                        if (
                            answer.category == "detractor"
                            and answer.reason
                            and answer.reason[1] == "negative"
                        ):
                            churn_boost_until = answer.at + AFTER_ANSWER
                        if answer.category == "promoter":
                            referral_boost_until = answer.at + AFTER_ANSWER
            _week_of_behaviour(rng, plan, week, z, monthly_rate, basket, referral_boost_until)
            if plan_level < len(people.PLANS) - 1 and rng.random() < 0.005 * math.exp(0.7 * z):
                plan_level += 1
                at = moment(rng, week, T.WEB)
                add(
                    BehaviourPlan(
                        K.UPGRADE,
                        at,
                        rng.choice([T.WEB, T.APP]),
                        None,
                        {"from": people.PLANS[plan_level - 1], "to": people.PLANS[plan_level]},
                    )
                )
            hazard = 0.0042 * math.exp(-0.9 * z)
            if churn_boost_until and week < churn_boost_until:
                hazard *= 2.2
            if rng.random() < hazard:
                active, churned_at = False, moment(rng, week, T.WEB) + timedelta(days=7)
                if churned_at < end:
                    reason = plan.pain_theme if rng.random() < 0.6 else rng.choice(list(THEMES))
                    add(
                        BehaviourPlan(
                            K.CANCELLATION,
                            churned_at,
                            rng.choice([T.WEB, T.CALL_CENTER]),
                            None,
                            {"reason": THEMES[reason].label},
                        )
                    )
        elif (
            churned_at
            and week > churned_at + timedelta(weeks=8)
            and rng.random() < 0.0045 * math.exp(0.3 * plan.z)
        ):
            active = True
            at = moment(rng, week, T.WEB)
            add(BehaviourPlan(K.REACTIVATION, at, rng.choice([T.WEB, T.APP, T.STORE]), None, {}))
        week += timedelta(days=7)
    plan.attributes["_plan_level"] = plan_level
    plan.behaviours = [b for b in plan.behaviours if b.at < end]
    plan.feedback = [f for f in plan.feedback if f.at < end]
    plan.behaviours.sort(key=lambda b: b.at)


def _week_of_behaviour(
    rng: random.Random,
    plan: CustomerPlan,
    week: datetime,
    z: float,
    monthly_rate: float,
    basket: int,
    referral_boost_until: datetime | None,
) -> None:
    add = plan.behaviours.append
    channel, age_band = plan.attributes["channel"], plan.attributes.get("age_band", "")
    for _ in range(poisson(rng, monthly_rate / 4.35 * math.exp(0.55 * z))):
        tp = shop_touchpoint(rng, channel, age_band)
        category = rng.choice(list(people.CATEGORIES))
        item = rng.choice(people.CATEGORIES[category])
        at = moment(rng, week, tp)
        add(
            BehaviourPlan(
                K.PURCHASE, at, tp, basket_price(rng, basket), {"category": category, "item": item}
            )
        )
        if rng.random() < 0.22 / (1 + math.exp(-z)):
            related = people.RELATED[category]
            add(
                BehaviourPlan(
                    K.RELATED_PURCHASE,
                    at + timedelta(minutes=rng.randrange(1, 90)),
                    tp,
                    basket_price(rng, basket // 2),
                    {
                        "category": related,
                        "item": rng.choice(people.CATEGORIES[related]),
                        "with": item,
                    },
                )
            )
    if rng.random() < 0.006 * math.exp(0.8 * z) * (2 if plan.segment == "プラチナ" else 1):
        name, price = rng.choice(people.PREMIUM_ITEMS)
        tp = shop_touchpoint(rng, channel, age_band)
        add(BehaviourPlan(K.PREMIUM_PURCHASE, moment(rng, week, tp), tp, price, {"item": name}))
    boosted = referral_boost_until is not None and week < referral_boost_until
    if rng.random() < 0.0035 * math.exp(1.1 * z) * (1.8 if boosted else 1):
        tp = rng.choice([T.APP, T.WEB, T.SNS])
        add(
            BehaviourPlan(
                K.REFERRAL,
                moment(rng, week, tp),
                tp,
                None,
                {"via": rng.choice(["紹介コード", "LINEで共有", "口コミ"])},
            )
        )
    if rng.random() < 0.008 * (1 + 0.6 * abs(z)):
        review(rng, plan, week, z)
    young = age_band in ("10代", "20代", "30代")
    if rng.random() < 0.018 * math.exp(0.7 * z) * (1.6 if young else 0.7):
        sns(rng, plan, week, z)
    if rng.random() < 0.0025 * math.exp(1.0 * z):
        tp = rng.choice([T.STORE, T.STORE, T.WEB])
        add(
            BehaviourPlan(
                K.EVENT, moment(rng, week, tp), tp, None, {"event": rng.choice(people.EVENTS)}
            )
        )
    if rng.random() < 0.002 * math.exp(0.5 * z):
        tp = rng.choice([T.WEB, T.APP, T.EMAIL])
        add(
            BehaviourPlan(
                K.FEEDBACK,
                moment(rng, week, tp),
                tp,
                None,
                {"type": rng.choice(["商品アイデア", "モニター回答", "要望"])},
            )
        )
    support_rate = 0.01 * math.exp(-0.4 * z) * (1.8 if plan.pain_theme in SUPPORT_THEMES else 1)
    if rng.random() < support_rate:
        support(rng, plan, week, z)
