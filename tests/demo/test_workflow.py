"""seed_demo_workflow: the demo shows the whole loop (open wave, inbox at work, replies, actions,
reports), with no two quotes alike and no survey sent to a churned customer."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour, Customer, Team
from engagement.demo.services import DEMO_STAFF, TEAMS
from engagement.demo.simulation import (
    WAVES,
    make_texts_unique,
    planned_dataset,
    simulate_customer,
    text_key,
)
from engagement.demo.simulation.voices import anonymous_sns_posts
from engagement.reports.models import ImprovementAction, Report, ReportStatus
from surveys.models import Invitation, Response, Survey, SurveyStatus
from voc.models import FeedbackItem, Topic, TriageState
from voc.triage.models import Reply, ReplyState

pytestmark = pytest.mark.django_db
N = 150


def _churned_at(customer_id: int, moment) -> bool:
    """Cancelled before ``moment`` without coming back before it."""
    records = BehaviourRecord.objects.filter(customer_id=customer_id, occurred_at__lt=moment)
    last_cancel = (
        records.filter(kind_id=BuiltinBehaviour.CANCELLATION).order_by("-occurred_at").first()
    )
    if last_cancel is None:
        return False
    return not records.filter(
        kind_id=BuiltinBehaviour.REACTIVATION, occurred_at__gt=last_cancel.occurred_at
    ).exists()


def test_make_texts_unique_leaves_no_two_texts_alike_and_is_deterministic():
    def texts(plans, posts):
        out = [f.text for p in plans for f in p.feedback] + [f.text for f in posts]
        out += [v[2] for p in plans for a in p.answers for v in (a.reason, a.ideas) if v]
        return out

    plans = [simulate_customer(1, i) for i in range(1, 301)]
    posts = anonymous_sns_posts(1, 25)
    before = Counter(text_key(t) for t in texts(plans, posts))
    assert max(before.values()) > 1  # the generator does repeat itself
    rewritten = make_texts_unique(plans, posts, seed=1)
    after = Counter(text_key(t) for t in texts(plans, posts))
    assert rewritten > 0 and max(after.values()) == 1
    first, first_posts = planned_dataset(1, 300)
    second, second_posts = planned_dataset(1, 300)
    assert texts(first, first_posts) == texts(second, second_posts)  # deterministic
    # Punctuation, emoji and half-width katakana do not make a quote different.
    assert text_key("ｽﾏﾎで買えて便利！😊") == text_key("スマホで買えて便利。")


def test_seeded_workflow_shows_the_whole_loop(client, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "http://127.0.0.1:8123"  # `make demo PORT=8123`
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", customers=N, seed=1, stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("analyze_voc", stdout=StringIO())
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_workflow", stdout=out)
    now = timezone.now()

    # An open wave: unanswered personal links, a public link, offered on the home page.
    survey = Survey.objects.get(status=SurveyStatus.OPEN)
    assert survey.public_nonce and (survey.closes_at is None or survey.closes_at > now)
    invitations = Invitation.objects.filter(survey=survey)
    assert invitations.count() >= 10
    assert not Response.objects.filter(survey=survey).exists()
    home = client.get("/").content.decode()
    assert "お客様として回答してみる" in home
    assert "/p/" in home and survey.title in home
    # The printed link is built for the demo's port (SITE_URL), never the default 8000.
    assert "http://127.0.0.1:8123/p/" in out.getvalue() and ":8000" not in out.getvalue()

    # Earlier waves closed, for comparison.
    closed = Survey.objects.filter(status=SurveyStatus.CLOSED)
    assert closed.count() == len(WAVES)

    # No survey ever went to a customer who had churned by then, and none of the open wave's.
    for invitation in invitations:
        assert not _churned_at(invitation.customer_id, now), invitation.customer_id
        assert invitation.customer.contact_allowed
    for survey_closed, spec in zip(closed.order_by("opens_at"), WAVES, strict=True):
        for customer_id in Invitation.objects.filter(survey=survey_closed).values_list(
            "customer_id", flat=True
        ):
            assert not _churned_at(customer_id, spec.field_start)

    # The inbox at work: every state, owners in both teams, deadlines due and overdue.
    states = set(FeedbackItem.objects.values_list("state", flat=True))
    assert states == set(TriageState.values)
    teams = Team.objects.filter(name__in=TEAMS)
    assert teams.count() == 2
    owned = FeedbackItem.objects.exclude(owner=None)
    assert set(owned.values_list("team__name", flat=True)) == set(TEAMS)
    assert owned.values("owner").distinct().count() >= 3
    open_states = [TriageState.NEW, TriageState.IN_PROGRESS, TriageState.WAITING]
    assert FeedbackItem.objects.filter(state__in=open_states, due_at__lt=now).exists()
    assert FeedbackItem.objects.filter(state__in=open_states, due_at__gt=now).exists()
    assert set(FeedbackItem.objects.values_list("priority", flat=True)) >= {1, 2, 3, 4}

    # Replies sent and drafted, signed with the staff member's display name, not the login.
    assert Reply.objects.filter(state=ReplyState.SENT).exclude(sent_at=None).exists()
    assert Reply.objects.filter(state=ReplyState.DRAFT).exists()
    usernames = {s.username for s in DEMO_STAFF} | {"admin"}
    names = {s.display_name for s in DEMO_STAFF}
    for reply in Reply.objects.select_related("created_by"):
        signature = reply.body.strip().splitlines()[-1]
        assert any(name in signature for name in names), signature
        assert not any(u in reply.body for u in usernames), reply.body
        assert "さくらマート" in reply.body and "弊社" not in reply.body

    # Improvement actions at every stage; the shipped one can be compared before/after.
    actions = ImprovementAction.objects.all()
    assert {"proposed", "planned", "in_progress", "verified"} <= set(
        actions.values_list("status", flat=True)
    )
    shipped = actions.get(status="verified")
    assert shipped.shipped_on and shipped.topics.exists()
    assert client.get("/").status_code == 200

    # Saved reports, the second compared with the first.
    reports = Report.objects.order_by("period_start")
    assert reports.count() == 2
    assert all(r.status == ReportStatus.DONE for r in reports)
    assert reports[1].data["previous_report_id"] == reports[0].id

    # No two quotes alike: feedback texts and each topic's representative quotes.
    keys = Counter(text_key(t) for t in FeedbackItem.objects.values_list("text", flat=True))
    assert max(keys.values()) == 1
    for topic in Topic.objects.exclude(quote_ids=[]):
        quotes = FeedbackItem.objects.filter(id__in=topic.quote_ids).values_list("text", flat=True)
        assert len({text_key(q) for q in quotes}) == len(quotes)

    # A second run reuses everything.
    counts = (Reply.objects.count(), Invitation.objects.count(), Report.objects.count())
    out = StringIO()
    call_command("seed_demo_workflow", stdout=out)
    assert "すでに" in out.getvalue() or "already" in out.getvalue()
    assert counts == (Reply.objects.count(), Invitation.objects.count(), Report.objects.count())
    assert Customer.objects.count() == N
    assert not Survey.objects.values("slug").annotate(n=Count("id")).filter(n__gt=1).exists()
