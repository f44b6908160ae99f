"""Rules on arrival, escalation of overdue items, the daily digest — each alert once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from voc.models import FeedbackItem
from voc.triage import services
from voc.triage.models import Alert, AlertKind, AlertState, Rule, RuleRun, TriageEvent

from .conftest import jst, make_customer, make_item, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def detractor_rule(world):
    return Rule.objects.create(
        name="批判者の自由記述",
        nps_category="detractor",
        requires_text=True,
        set_priority=3,
        due_in_business_hours=24,
        assign_team=world["team_b"],
        notify_team=world["team_a"],
    )


def test_rule_sets_priority_due_team_and_notifies_once(
    world, detractor_rule, django_capture_on_commit_callbacks, mailoutbox
):
    item = make_item(customer=make_customer())
    FeedbackItem.objects.filter(id=item.id).update(created_at=jst(2026, 11, 20, 16, 0))
    Rule.objects.create(name="推奨者", nps_category="promoter", set_priority=1)  # does not match
    with django_capture_on_commit_callbacks(execute=True):
        matched = services.apply_rules(item_id=item.id)
    assert matched == [detractor_rule.id]
    item.refresh_from_db()
    assert item.priority == 3
    assert item.team == world["team_b"]
    assert item.due_at == jst(2026, 11, 26, 13, 0)  # across the weekend and 勤労感謝の日
    assert [m.to for m in mailoutbox] == [["team-a@staff.example.jp"]]
    assert Alert.objects.get(kind=AlertKind.RULE).state == AlertState.SENT
    assert TriageEvent.objects.filter(item=item, kind="rule", actor=None).count() == 1
    # Applying again (a redelivered task, the sweep) changes and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.apply_rules(item_id=item.id) == []
    assert len(mailoutbox) == 1


def test_conditions_must_all_hold(world, detractor_rule):
    promoter = make_item(nps_score=10, nps_category="promoter")
    assert services.apply_rules(item_id=promoter.id) == []
    topic_rule = Rule.objects.create(
        name="解約", topic=world["topic"], channel="support", set_priority=4
    )
    wrong_channel = make_item(topic=world["topic"], channel="survey", nps_category="")
    right = make_item(topic=world["topic"], channel="support", nps_category="")
    assert services.apply_rules(item_id=wrong_channel.id) == []
    assert services.apply_rules(item_id=right.id) == [topic_rule.id]


def test_the_sweep_applies_rules_to_recent_items_never_processed(world, detractor_rule):
    item = make_item()
    history = make_item()
    FeedbackItem.objects.filter(id=item.id).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    FeedbackItem.objects.filter(id=history.id).update(
        created_at=timezone.now() - dt.timedelta(days=30)
    )
    assert services.apply_pending_rules() == 1
    assert RuleRun.objects.filter(item=item, matched_rule_ids=[detractor_rule.id]).exists()
    assert not RuleRun.objects.filter(item=history).exists()  # history gets no deadline
    assert services.apply_pending_rules() == 0


def test_escalation_notifies_owner_then_lead_and_never_twice(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    agent, lead = world["agent"], world["lead"]
    item = make_item(team=world["team_a"], owner=agent, due_at=jst(2026, 11, 24, 10, 0))
    # 1 business hour overdue: the owner only.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_overdue(now=jst(2026, 11, 24, 11, 0)) == 1
    assert [m.to for m in mailoutbox] == [["agent@staff.example.jp"]]
    # 5 business hours overdue (lead threshold 4): the lead as well; the owner not again.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalate_overdue(now=jst(2026, 11, 24, 15, 0)) == 1
        assert services.escalate_overdue(now=jst(2026, 11, 24, 16, 0)) == 0
    assert [m.to for m in mailoutbox] == [["agent@staff.example.jp"], [lead.email]]
    kinds = list(Alert.objects.filter(item=item).order_by("id").values_list("kind", flat=True))
    assert kinds == [AlertKind.ESCALATION_OWNER, AlertKind.ESCALATION_LEAD]
    assert f"#{item.id}" in mailoutbox[0].subject


def test_resolved_waiting_and_duplicate_items_are_not_escalated(world):
    due = jst(2026, 11, 24, 10, 0)
    make_item(owner=world["agent"], due_at=due, state="resolved")
    make_item(owner=world["agent"], due_at=due, state="waiting")
    make_item(owner=world["agent"], due_at=due, duplicate_of=world["item_a"])
    assert services.escalate_overdue(now=jst(2026, 11, 25, 10, 0)) == 0


def test_unowned_items_alert_the_team_members(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    make_item(team=world["team_b"], due_at=jst(2026, 11, 24, 10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate_overdue(now=jst(2026, 11, 24, 10, 30))
    assert [m.to for m in mailoutbox] == [["agent_b@staff.example.jp"]]


def test_daily_digest_once_per_business_day_after_the_hour(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    agent = world["agent"]
    make_item(owner=agent, text="アプリが重い", due_at=jst(2026, 11, 24, 10, 0))
    make_item(owner=agent, text="解決済み", state="resolved")
    other = make_staff("nobody_open")
    make_item(owner=other, state="no_action")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_daily_digests(now=jst(2026, 11, 25, 8, 59)) == 0  # before 9:00
        assert services.send_daily_digests(now=jst(2026, 11, 23, 10, 0)) == 0  # holiday
        assert services.send_daily_digests(now=jst(2026, 11, 25, 9, 5)) == 1
        assert services.send_daily_digests(now=jst(2026, 11, 25, 9, 20)) == 0  # same day
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["agent@staff.example.jp"]
    assert "アプリが重い" in mail.body and "解決済み" not in mail.body
    assert "1" in mail.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_daily_digests(now=jst(2026, 11, 26, 9, 0)) == 1  # next day


def test_an_alert_is_sent_once_even_if_delivered_twice(world, mailoutbox):
    alert = services.record_alert(
        key="test-once", kind=AlertKind.RULE, to=["x@example.jp"], subject="s", body="b"
    )
    assert (
        services.record_alert(
            key="test-once", kind=AlertKind.RULE, to=["x@example.jp"], subject="s", body="b"
        )
        is None
    )
    assert services.deliver_alert(alert_id=alert.id) is True
    assert services.deliver_alert(alert_id=alert.id) is False
    alert.refresh_from_db()
    assert (alert.state, alert.send_count, len(mailoutbox)) == (AlertState.SENT, 1, 1)
    no_address = services.record_alert(
        key="nobody", kind=AlertKind.RULE, to=[""], subject="s", body="b"
    )
    assert no_address.state == AlertState.SKIPPED


def test_due_time_is_not_in_the_past_for_the_rule_clock(world, detractor_rule):
    item = make_item()
    services.apply_rules(item_id=item.id)
    item.refresh_from_db()
    assert item.due_at > item.created_at
    assert item.due_at - item.created_at >= dt.timedelta(hours=24)
