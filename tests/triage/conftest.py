"""Test data for triage, made directly with the ORM."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from engagement.customers.models import Customer, Team
from engagement.platform import roles
from voc.models import FeedbackItem, Topic

TOKYO = ZoneInfo("Asia/Tokyo")
_counter = itertools.count(1)


def make_customer(**kwargs: Any) -> Customer:
    n = next(_counter)
    defaults = {
        "external_id": f"C{n:05d}",
        "segment": "gold",
        "name": f"山田 花子{n}",
        "email": f"customer{n}@example.jp",
        "contact_allowed": True,
    }
    return Customer.objects.create(**{**defaults, **kwargs})


def make_item(**kwargs: Any) -> FeedbackItem:
    defaults = {
        "text": "解約したいのですが手続きが分かりにくいです。",
        "channel": "survey",
        "received_at": timezone.now(),
        "nps_score": 3,
        "nps_category": "detractor",
        "sentiment": "negative",
    }
    values = {**defaults, **kwargs}
    if "token_text" not in values:
        # As the VoC analysis stores it (token search reads it).
        from voc.tokenize import join_tokens, tokenize

        values["token_text"] = join_tokens(tokenize(values["text"]))
    return FeedbackItem.objects.create(**values)


def make_staff(username: str, *groups: str, **kwargs: Any) -> User:
    user = User.objects.create_user(
        username,
        email=f"{username}@staff.example.jp",
        password="pw-Triage-2026",
        is_staff=True,
        **kwargs,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Two CS teams, one user per role, items for each team, a topic and a customer."""
    roles.sync_roles()
    agent = make_staff("agent", roles.CS_AGENT)
    other_agent = make_staff("agent_b", roles.CS_AGENT)
    lead = make_staff("lead", roles.CS_LEAD)
    product = make_staff("product", roles.PRODUCT_TEAM)
    administrator = make_staff("administrator", roles.ADMINISTRATOR)
    team_a = Team.objects.create(name="CSチームA", lead=lead, email="team-a@staff.example.jp")
    team_b = Team.objects.create(name="CSチームB")
    team_a.members.add(agent)
    team_b.members.add(other_agent)
    topic = Topic.objects.create(name="解約・退会", terms=["解約", "退会"])
    customer = make_customer()
    item_a = make_item(customer=customer, team=team_a, topic=topic)
    item_b = make_item(text="配送が遅れました", team=team_b, customer=make_customer(), topic=topic)
    return {
        "agent": agent,
        "other_agent": other_agent,
        "lead": lead,
        "product": product,
        "administrator": administrator,
        "team_a": team_a,
        "team_b": team_b,
        "topic": topic,
        "customer": customer,
        "item_a": item_a,
        "item_b": item_b,
    }


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_unless_integration(request: pytest.FixtureRequest) -> Any:
    """Unit tests run tasks in-process even when a broker is configured (integration env)."""
    if "integration" in request.keywords:
        yield
        return
    from engagement.celery import app

    # With the CELERY settings namespace the key is read under its prefixed name.
    previous = app.conf.CELERY_TASK_ALWAYS_EAGER
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = previous
