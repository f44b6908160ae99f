"""Escalation, digest and rule alerts through a real Celery worker on Redis and PostgreSQL,
including a broker outage while the item arrives: the alert goes out later, once."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from engagement.customers.models import Team
from engagement.platform import outbox, roles
from engagement.platform.models import OutboxMessage
from tests.brokers import CLOSED_BROKER, broker_at
from voc.triage import services
from voc.triage.models import Alert, AlertKind, AlertState, Rule, TriageSettings

from .conftest import make_customer, make_item, make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def open_all_day() -> None:
    """Business hours around the clock, every day: the tests do not depend on today's date."""
    TriageSettings.objects.update_or_create(
        id=1,
        defaults={
            "opens_at": dt.time(0, 0),
            "closes_at": dt.time(23, 59, 59),
            "workdays": [1, 2, 3, 4, 5, 6, 7],
            "observe_public_holidays": False,
            "lead_escalation_after_hours": 4,
            "digest_hour": 0,
        },
    )


def setup_team() -> dict[str, Any]:
    roles.sync_roles()
    agent = make_staff("it_agent", roles.CS_AGENT)
    lead = make_staff("it_lead", roles.CS_LEAD)
    team = Team.objects.create(name="IT班", lead=lead, email="it-team@staff.example.jp")
    team.members.add(agent)
    return {"agent": agent, "lead": lead, "team": team}


def test_escalation_and_digest_run_on_the_worker(celery_worker_process, wait):
    from engagement.celery import app

    open_all_day()
    people = setup_team()
    item = make_item(
        team=people["team"],
        owner=people["agent"],
        due_at=timezone.now() - dt.timedelta(hours=5),
        customer=make_customer(),
    )
    app.send_task("triage.escalate_overdue")  # as beat does
    sent = wait(
        lambda: Alert.objects.filter(item=item, state=AlertState.SENT).count() == 2, timeout=60
    )
    assert sent
    alerts = {a.kind: a for a in Alert.objects.filter(item=item)}
    assert alerts[AlertKind.ESCALATION_OWNER].to == ["it_agent@staff.example.jp"]
    assert alerts[AlertKind.ESCALATION_LEAD].to == ["it_lead@staff.example.jp"]
    assert all(a.send_count == 1 for a in alerts.values())

    app.send_task("triage.send_digests")
    digest = wait(
        lambda: Alert.objects.filter(kind=AlertKind.DIGEST, state=AlertState.SENT).first(),
        timeout=60,
    )
    assert digest.recipient == people["agent"] and str(item.id) in digest.body

    # The beat tasks run again: nothing new is sent.
    app.send_task("triage.escalate_overdue")
    app.send_task("triage.send_digests")
    time.sleep(3)
    assert Alert.objects.count() == 3
    assert sum(Alert.objects.values_list("send_count", flat=True)) == 3


def test_broker_down_when_the_item_arrives_alert_goes_out_later_once(celery_worker_process, wait):

    open_all_day()
    people = setup_team()
    rule = Rule.objects.create(
        name="批判者→通知", nps_category="detractor", notify_team=people["team"], set_priority=3
    )
    # Nothing listens on port 1: the web side's broker is "down".
    with broker_at(CLOSED_BROKER):
        with transaction.atomic():
            item = make_item(customer=make_customer(), team=people["team"], owner=people["agent"])
            services.request_rules(item_id=item.id)  # what the ingest does on arrival
        overdue = make_item(
            team=people["team"],
            owner=people["agent"],
            due_at=timezone.now() - dt.timedelta(minutes=30),
        )
        # A beat tick that ran while the broker was down (in-process): alert recorded, not sent.
        assert services.escalate_overdue() == 1
        pending = OutboxMessage.objects.filter(state="pending")
        assert {m.task_name for m in pending} == {"triage.apply_rules", "triage.send_alert"}
        time.sleep(2)
        assert not Alert.objects.filter(state=AlertState.SENT).exists()

    swept = outbox.sweep()  # the beat sweeper, once the broker is back
    assert swept == 2, list(OutboxMessage.objects.values_list("last_error", flat=True))
    rule_alert = wait(
        lambda: Alert.objects.filter(
            key=f"rule-{rule.id}-item-{item.id}", state=AlertState.SENT
        ).first(),
        timeout=60,
    )
    owner_alert = wait(
        lambda: Alert.objects.filter(
            item=overdue, kind=AlertKind.ESCALATION_OWNER, state=AlertState.SENT
        ).first(),
        timeout=60,
    )
    assert rule_alert.to == ["it-team@staff.example.jp"]
    assert owner_alert.to == ["it_agent@staff.example.jp"]
    wait(lambda: not OutboxMessage.objects.exclude(state="done").exists(), timeout=30)
    item.refresh_from_db()
    assert item.priority == 3

    # Sweeping, re-running the rules and the escalation again sends nothing more.
    outbox.sweep()
    services.apply_rules(item_id=item.id)
    services.escalate_overdue()
    time.sleep(2)
    assert Alert.objects.filter(item__in=[item, overdue]).count() == 2
    assert sorted(Alert.objects.values_list("send_count", flat=True)) == [1, 1]
