"""Two CS teams with distinctive data everywhere, and one account per role.

Team B's markers (customer name, e-mail, phone, a unique phrase) must never reach an agent of
team A; nobody's name, e-mail or phone may reach the product team.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from engagement.customers.models import Customer, Team
from engagement.platform import roles
from voc.models import FeedbackItem, Topic

A_NAME, A_EMAIL, A_PHONE, A_PHRASE = (
    "青山 葵",
    "aoi.aoyama@example.jp",
    "090-1111-2222",
    "苺大福問題",
)
B_NAME, B_EMAIL, B_PHONE, B_PHRASE = (
    "紅林 紅子",
    "beniko.kurenai@example.jp",
    "080-3333-4444",
    "鯖缶騒動",
)
B_EXTERNAL = "CUST-BETA-7781"
PERSONAL_MARKERS = [A_NAME, A_EMAIL, A_PHONE, B_NAME, B_EMAIL, B_PHONE, B_EXTERNAL]


@dataclass
class World:
    users: dict[str, User | None]
    team_a: Team
    team_b: Team
    customer_a: Customer
    customer_b: Customer
    item_a: FeedbackItem
    item_b: FeedbackItem
    topic: Topic
    objects: dict[str, Any] = field(default_factory=dict)


def _staff(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="x-secret-pw-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def build_world() -> World:
    from engagement.reports import services as report_services
    from engagement.reports.models import Report
    from surveys.models import PublicLink, Survey, Wave
    from surveys.services import create_invitations, open_survey, submit_response
    from surveys.services.design import create_template_survey
    from voc.services import ingest_survey_response
    from voc.triage.models import Note, Reply

    roles.sync_roles()
    users: dict[str, User | None] = {
        "anonymous": None,
        "agent_a": _staff("agent_a", roles.CS_AGENT),
        "lead_a": _staff("lead_a", roles.CS_LEAD),
        "product": _staff("product", roles.PRODUCT_TEAM),
        "admin": _staff("admin", roles.ADMINISTRATOR),
    }
    team_a = Team.objects.create(name="CSチームA", lead=users["lead_a"])
    team_b = Team.objects.create(name="CSチームB")
    team_a.members.add(users["agent_a"])
    customer_a = Customer.objects.create(
        external_id="CUST-ALPHA-1234",
        name=A_NAME,
        email=A_EMAIL,
        attributes={"phone": A_PHONE},
        contact_allowed=True,
    )
    customer_b = Customer.objects.create(
        external_id=B_EXTERNAL,
        name=B_NAME,
        email=B_EMAIL,
        attributes={"phone": B_PHONE},
        contact_allowed=True,
    )
    wave = Wave.objects.create(
        name="2026年冬", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    survey = create_template_survey(
        title="冬のアンケート", brand_name="テスト", wave=wave, slug="winter"
    )
    open_survey(survey=survey)
    create_invitations(survey=survey, customers=[customer_a, customer_b], now=timezone.now())
    now = timezone.now()
    texts = {
        customer_a: f"{A_PHRASE}で解約したいです。{A_NAME}です。電話は{A_PHONE}、{A_EMAIL}まで。",
        customer_b: f"{B_PHRASE}で解約したいです。{B_NAME}です。電話は{B_PHONE}、{B_EMAIL}まで。",
    }
    for customer, text in texts.items():
        invitation = customer.invitations.get(survey=survey)
        response = submit_response(
            survey=Survey.objects.get(pk=survey.pk),
            invitation=invitation,
            answers={
                "nps": 2,
                "reason_detractor": text,
                **{key: 3 for key in roles_awareness_keys()},
                "touchpoint": "app",
                "csat": 2,
            },
            now=now - timedelta(days=1),
        )
        # What the outbox runs after commit (tests run inside one transaction).
        ingest_survey_response(response_id=response.id)
    item_a = FeedbackItem.objects.get(customer=customer_a)
    item_b = FeedbackItem.objects.get(customer=customer_b)
    topic = Topic.objects.create(name="解約", terms=["解約"], quote_ids=[item_a.id, item_b.id])
    FeedbackItem.objects.filter(id=item_a.id).update(team=team_a, topic=topic, topic_score=0.9)
    FeedbackItem.objects.filter(id=item_b.id).update(team=team_b, topic=topic, topic_score=0.9)
    Topic.objects.filter(id=topic.id).update(item_count=2)
    note = Note.objects.create(item=item_b, author=users["admin"], body=f"{B_NAME}様に折り返し")
    reply = Reply.objects.create(
        item=item_b,
        subject=f"{B_NAME}様",
        body=f"{B_NAME}様 {B_PHRASE}の件",
        to_email=B_EMAIL,
        created_by=users["admin"],
    )
    today = timezone.localdate()
    report = report_services.request_report(
        period_start=today - timedelta(days=30), period_end=today, actor=users["product"]
    )
    report = report_services.generate_report(report_id=report.pk)
    report = Report.objects.get(pk=report.pk)
    return World(
        users=users,
        team_a=team_a,
        team_b=team_b,
        customer_a=customer_a,
        customer_b=customer_b,
        item_a=FeedbackItem.objects.get(pk=item_a.pk),
        item_b=FeedbackItem.objects.get(pk=item_b.pk),
        topic=topic,
        objects={
            "note": note,
            "reply": reply,
            "report": report,
            "survey": survey,
            "public_link": PublicLink.objects.create(survey=survey, name="渋谷店", source="store"),
        },
    )


def roles_awareness_keys() -> list[str]:
    return [
        "aw_like",
        "aw_satisfied",
        "aw_devotion",
        "aw_grateful",
        "aw_would_miss",
        "aw_support",
        "aw_spread",
        "aw_vision",
    ]


@pytest.fixture
def world(db: Any) -> Iterator[World]:
    from django.core.cache import cache

    yield build_world()
    # Pages cache what they computed (e.g. the key drivers); the next test starts afresh.
    cache.clear()
