"""Constructed data sets for the report tests, made with the ORM directly.

``constructed`` is a period (2026-10-01 … 2026-10-31) where the right ranking is known:

- 「解約手続き」 (small, angry): 10 customers, all detractors (score 0–3), negative, all cancel
  within 30 days of their comment;
- 「画面デザイン」 (large, mild): 200 customers, passives/promoters (7–9) and 4 mild detractors
  (score 6), neutral, churn 5% (the base rate);
- 「店舗スタッフ」 (medium, happy): 60 customers, promoters, positive, no churn, buy again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission, User

from engagement.customers.models import BehaviourRecord, Customer
from surveys.models import NpsCategory, Response, ResponseStatus, Survey, Wave
from surveys.scoring import nps_category
from voc.models import Channel, FeedbackItem, Sentiment, Topic

TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD = (date(2026, 10, 1), date(2026, 10, 31))
_seq = count(1)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)


@dataclass
class Builder:
    """Creates rows one by one, or (``deferred=True`` then ``flush()``) with bulk_create."""

    survey: Survey
    customers: list[Customer] = field(default_factory=list)
    deferred: bool = False
    pending: dict[type, list] = field(default_factory=dict)

    def _save(self, obj):  # type: ignore[no-untyped-def]
        if self.deferred:
            self.pending.setdefault(type(obj), []).append(obj)
        else:
            obj.save()
        return obj

    def flush(self) -> None:
        for model in (Customer, Response, FeedbackItem, BehaviourRecord):
            rows = self.pending.pop(model, [])
            if rows:
                model.objects.bulk_create(rows, batch_size=500)
        self.deferred = False

    def customer(self, *, segment: str = "一般", name: str = "", email: str = "") -> Customer:
        n = next(_seq)
        customer = self._save(
            Customer(
                external_id=f"C{n:06d}",
                segment=segment,
                name=name or f"顧客{n}",
                email=email or f"customer{n}@example.jp",
                contact_allowed=True,
            )
        )
        self.customers.append(customer)
        return customer

    def feedback(
        self,
        *,
        customer: Customer,
        topic: Topic | None,
        text: str,
        score: int | None,
        when: datetime,
        sentiment: str = Sentiment.NEUTRAL,
        touchpoint: str = "web",
        survey: Survey | None = None,
        topic_score: float | None = None,
    ) -> FeedbackItem:
        response = None
        category = nps_category(score) if score is not None else ""
        if score is not None:
            response = self._save(
                Response(
                    survey=survey or self.survey,
                    customer=customer,
                    status=ResponseStatus.COMPLETED,
                    submitted_at=when,
                    touchpoint=touchpoint,
                    nps_score=score,
                    nps_category=category,
                )
            )
        item = FeedbackItem(
            text=text,
            channel=Channel.SURVEY if response else Channel.SUPPORT,
            received_at=when,
            customer=customer,
            response=response,
            nps_score=score,
            nps_category=category,
            touchpoint=touchpoint,
            sentiment=sentiment,
            topic=topic,
            topic_score=topic_score,
        )
        return self._save(item)

    def behaviour(
        self, *, customer: Customer, kind: str, when: datetime, amount: int | None = None
    ) -> None:
        self._save(
            BehaviourRecord(customer=customer, kind_id=kind, occurred_at=when, amount=amount)
        )


@pytest.fixture(autouse=True)
def small_minimum(settings):  # type: ignore[no-untyped-def]
    """The constructed angry topic has 10 customers: rank topics from 5 customers here."""
    settings.VOC_IMPACT_MIN_CUSTOMERS = 5


@pytest.fixture
def survey(db: None) -> Survey:
    wave = Wave.objects.create(
        name="2026年秋", starts_on=date(2026, 9, 1), ends_on=date(2026, 11, 30)
    )
    return Survey.objects.create(
        title="秋のお客様アンケート", slug=f"autumn-{next(_seq)}", brand_name="テスト", wave=wave
    )


@pytest.fixture
def builder(survey: Survey) -> Builder:
    return Builder(survey=survey)


@dataclass
class Constructed:
    angry: Topic
    mild: Topic
    happy: Topic
    angry_customer: Customer


@pytest.fixture
def constructed(builder: Builder) -> Constructed:
    angry = Topic.objects.create(name="解約手続き", terms=["解約", "手続き", "電話"])
    mild = Topic.objects.create(name="画面デザイン", terms=["デザイン", "色", "画面"])
    happy = Topic.objects.create(name="店舗スタッフ", terms=["スタッフ", "丁寧"])
    start = PERIOD[0]
    angry_customer = None
    builder.deferred = True
    for i in range(10):
        customer = builder.customer(
            name="山田 太郎" if i == 0 else "", email="taro.yamada@example.jp" if i == 0 else ""
        )
        angry_customer = angry_customer or customer
        when = at(start + timedelta(days=i))
        text = (
            "山田太郎です。解約したいのに電話がつながらない!連絡は taro.yamada@example.jp か "
            "090-1234-5678 へ。詳細 https://example.com/complaint?id=1"
            if i == 0
            else f"解約の手続きが分かりにくく、電話も繋がらない。最悪です。({i})"
        )
        builder.feedback(
            customer=customer,
            topic=angry,
            text=text,
            score=i % 4,
            when=when,
            sentiment=Sentiment.NEGATIVE,
            touchpoint="call_center",
            topic_score=0.9 if i == 0 else 0.5,
        )
        builder.behaviour(customer=customer, kind="cancellation", when=when + timedelta(days=20))
    for i in range(200):
        customer = builder.customer()
        when = at(start + timedelta(days=i % 28), hour=10)
        score = 6 if i < 4 else (7 + i % 3)
        builder.feedback(
            customer=customer,
            topic=mild,
            text=f"画面の色がもう少し明るいと嬉しいです。({i})",
            score=score,
            when=when,
            sentiment=Sentiment.NEUTRAL,
            touchpoint="app" if i % 2 else "web",
        )
        if i % 20 == 0:  # 5% base churn
            builder.behaviour(
                customer=customer, kind="cancellation", when=when + timedelta(days=40)
            )
        else:
            builder.behaviour(
                customer=customer, kind="purchase", when=when + timedelta(days=10), amount=3000
            )
    for i in range(60):
        customer = builder.customer()
        when = at(start + timedelta(days=i % 28), hour=15)
        builder.feedback(
            customer=customer,
            topic=happy,
            text=f"店舗スタッフの対応がとても丁寧でした。({i})",
            score=10,
            when=when,
            sentiment=Sentiment.POSITIVE,
            touchpoint="store",
        )
        builder.behaviour(
            customer=customer, kind="purchase", when=when + timedelta(days=5), amount=8000
        )
    builder.flush()
    for topic in (angry, mild, happy):
        topic.item_count = topic.items.count()
        topic.save(update_fields=["item_count"])
    assert angry_customer is not None
    return Constructed(angry=angry, mild=mild, happy=happy, angry_customer=angry_customer)


VIEW_PERMS = [
    "reports.view_report",
    "reports.view_improvementaction",
    "reports.view_productarea",
    "voc.view_topic",
]


@pytest.fixture
def product_team_user(db: None) -> User:
    """A staff account in the product-team group: report permissions, no personal data."""
    group, _created = Group.objects.get_or_create(name="product team")
    for perm in [*VIEW_PERMS, "reports.add_report"]:
        app_label, codename = perm.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user = User.objects.create_user("pm", "pm@example.jp", "pw-for-tests-123", is_staff=True)
    user.groups.add(group)
    assert not user.has_perm("engagement.view_personal_data")
    return user


@pytest.fixture
def action_manager(db: None) -> User:
    user = User.objects.create_user("lead", "lead@example.jp", "pw-for-tests-123", is_staff=True)
    for perm in [*VIEW_PERMS, "reports.change_improvementaction"]:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


__all__ = ["PERIOD", "Builder", "Constructed", "NpsCategory", "at"]
