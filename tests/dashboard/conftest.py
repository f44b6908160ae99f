"""Constructed data for dashboard tests: waves, surveys, responses, feedback, behaviour."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

TOKYO = ZoneInfo("Asia/Tokyo")
T0 = datetime(2026, 4, 1, 10, tzinfo=TOKYO)
_counter = itertools.count(1)


class Builder:
    def __init__(self) -> None:
        from engagement.customers.services import ensure_builtin_behaviour_kinds
        from surveys.models import Survey, Wave

        ensure_builtin_behaviour_kinds()

        self.wave1 = Wave.objects.create(
            name="2026年上期", starts_on=date(2026, 4, 1), ends_on=date(2026, 9, 30)
        )
        self.wave2 = Wave.objects.create(
            name="2026年下期", starts_on=date(2026, 10, 1), ends_on=date(2027, 3, 31)
        )
        self.survey1 = Survey.objects.create(
            title="上期調査", slug="s1", brand_name="テスト", wave=self.wave1, status="open"
        )
        self.survey2 = Survey.objects.create(
            title="下期調査", slug="s2", brand_name="テスト", wave=self.wave2, status="open"
        )

    def customer(self, segment: str = "一般", **extra):
        from engagement.customers.models import Customer

        n = next(_counter)
        return Customer.objects.create(external_id=f"C{n:05d}", segment=segment, **extra)

    def response(
        self,
        customer=None,
        *,
        score: int | None,
        at: datetime = T0,
        survey=None,
        touchpoint: str = "web",
        csat: int | None = None,
        awareness: float | None = None,
    ):
        from surveys.models import Response
        from surveys.scoring import nps_category

        return Response.objects.create(
            survey=survey or self.survey1,
            customer=customer,
            status="completed",
            submitted_at=at,
            touchpoint=touchpoint,
            nps_score=score,
            nps_category=nps_category(score),
            csat_score=csat,
            awareness_index=awareness,
            empathy_index=awareness,
            attachment_index=awareness,
        )

    def behaviour(self, customer, kind: str, at: datetime, amount: int | None = None):
        from engagement.customers.models import BehaviourRecord

        return BehaviourRecord.objects.create(
            customer=customer, kind_id=kind, occurred_at=at, amount=amount
        )

    def topic(self, name: str):
        from voc.models import Topic

        return Topic.objects.create(name=name)

    def feedback(self, response, topic, *, text: str = "テキスト", sentiment: str = "negative"):
        from voc.models import FeedbackItem

        return FeedbackItem.objects.create(
            text=text,
            channel="survey",
            received_at=response.submitted_at,
            customer=response.customer,
            response=response,
            nps_score=response.nps_score,
            nps_category=response.nps_category,
            touchpoint=response.touchpoint,
            topic=topic,
            sentiment=sentiment,
        )


@pytest.fixture
def build(db) -> Builder:
    return Builder()


def promoters_repeat_detractors_churn(build: Builder, *, per_group: int = 20) -> None:
    """Promoters who mostly buy again; detractors who mostly cancel."""
    for i in range(per_group):
        c = build.customer()
        build.response(c, score=10, csat=5, awareness=85, touchpoint="web")
        if i % 10 < 8:  # 80% repeat
            build.behaviour(c, "purchase", T0 + timedelta(days=10), 5000)
    for i in range(per_group):
        c = build.customer()
        build.response(c, score=3, csat=2, awareness=15, touchpoint="call_center")
        if i % 10 < 2:  # 20% repeat
            build.behaviour(c, "purchase", T0 + timedelta(days=10), 1000)
        if i % 10 < 6:  # 60% churn
            build.behaviour(c, "cancellation", T0 + timedelta(days=30))


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(
        username="pm", password="x-very-secret-1", is_staff=True
    )
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="engagement", codename__in=["view_customer", "view_all_teams"]
        ),
        Permission.objects.get(content_type__app_label="dashboard", codename="view_dailyrollup"),
    )
    client.force_login(user)
    return client
