"""The demo's working day, on top of the loaded and analysed data set (``seed_demo_workflow``).

So that a newcomer sees the whole loop, not only history:

- an **open wave** (a store survey) with unanswered personal links for customers who can be
  asked (active, contact allowed; never a churned customer) and a public link for the store
  (the home page's 「お客様として回答してみる」);
- the **inbox** at work: two CS teams, items in every state, owners in both teams, deadlines due
  and overdue, replies sent and drafted, signed with the staff member's display name;
- **improvement actions** at every stage, the delivery fix shipped and verified (its before/after
  page compares the periods around its ship date);
- **saved reports** for the two closed waves, the second compared with the first.

Runs once per data set (recorded in ``DemoDataset.summary["workflow"]``); a second run reuses
it. Dates are relative to the day it runs (deadlines are due *today*), the history is not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour, Customer, Team
from engagement.demo.models import DemoDataset
from engagement.demo.simulation import AS_OF, BRAND, FIX_DATE, WAVES
from engagement.platform import outbox
from engagement.platform.errors import Conflict
from surveys import services as survey_services
from surveys.models import Survey, Wave
from voc import selectors as voc_selectors
from voc.models import FeedbackItem, Priority, Topic, TriageState
from voc.triage.models import EventKind, ReplyState
from voc.triage.services import replies as reply_services
from voc.triage.services import workflow as triage

from .staff import TEAM_EAST, TEAM_WEST, ensure_demo_team_members

OPEN_WAVE_NAME = "2026年12月 店舗アンケート"
OPEN_SURVEY_SLUG = "demo-store-2026-12"
OPEN_SURVEY_TITLE = "さくらマート 店舗でのお買い物アンケート（実施中）"
OPEN_WAVE_INVITATIONS = 40
INBOX_ITEMS = 45


@dataclass(frozen=True)
class WorkflowResult:
    created: bool
    summary: dict[str, Any]


def seed_demo_workflow(*, now: datetime | None = None) -> WorkflowResult:
    """Stage the open wave, the inbox, the actions and the reports (once per data set)."""
    now = now or timezone.now()
    dataset = DemoDataset.objects.order_by("id").first()
    if dataset is None:
        raise Conflict(_("Load the demo data set first (manage.py seed_demo)."))
    if dataset.summary.get("workflow"):
        return WorkflowResult(created=False, summary=dataset.summary["workflow"])
    users = ensure_demo_team_members()
    with transaction.atomic():
        summary = {
            "open_survey": open_demo_wave(now=now),
            "inbox": stage_inbox(users=users, now=now),
            "actions": stage_actions(users=users, now=now),
            "reports": request_reports(actor=users.get("product")),
        }
        dataset.summary = {**dataset.summary, "workflow": summary}
        dataset.save(update_fields=["summary", "updated_at"])
    return WorkflowResult(created=True, summary=summary)


# --- the open wave -------------------------------------------------------------------------------


def askable_customers() -> QuerySet[Customer]:
    """Customers a survey may be sent to now: contact allowed, an e-mail address, not forgotten
    and not churned (no cancellation without a later reactivation)."""
    cancelled = BehaviourRecord.objects.filter(
        customer=OuterRef("pk"), kind_id=BuiltinBehaviour.CANCELLATION
    )
    came_back = BehaviourRecord.objects.filter(
        customer=OuterRef("pk"), kind_id=BuiltinBehaviour.REACTIVATION
    )
    last_cancel = cancelled.order_by("-occurred_at").values("occurred_at")[:1]
    return (
        Customer.objects.filter(forgotten_at__isnull=True, contact_allowed=True)
        .exclude(email="")
        .filter(~Exists(cancelled) | Exists(came_back.filter(occurred_at__gt=last_cancel)))
    )


def open_demo_wave(*, now: datetime) -> dict[str, Any]:
    start = timezone.localdate(now).replace(day=1)
    wave, _created = Wave.objects.get_or_create(
        name=OPEN_WAVE_NAME,
        defaults={"starts_on": start, "ends_on": start + timedelta(days=89)},
    )
    survey = survey_services.create_template_survey(
        title=OPEN_SURVEY_TITLE, brand_name=BRAND, wave=wave, slug=OPEN_SURVEY_SLUG
    )
    survey.opens_at = now - timedelta(days=1)
    survey.closes_at = now + timedelta(days=90)
    survey.save(update_fields=["opens_at", "closes_at", "updated_at"])
    survey_services.open_survey(survey=survey, now=now)
    survey_services.enable_public_link(survey=survey)
    # The most recent customers who can be asked (deterministic: by sign-up, then ID).
    customers = list(
        askable_customers().order_by("-signed_up_on", "external_id")[:OPEN_WAVE_INVITATIONS]
    )
    survey_services.create_invitations(survey=survey, customers=customers, now=now)
    return {"survey_id": survey.id, "slug": survey.slug, "invitations": len(customers)}


def open_demo_survey() -> Survey | None:
    """The demo's open survey (its public link is what a newcomer answers)."""
    return Survey.objects.filter(slug=OPEN_SURVEY_SLUG, status="open").first()


# --- the inbox ----------------------------------------------------------------------------------

# One line per item, in turn: (state, owner, team, priority, due in hours (None: no deadline),
# reply: "sent", "draft" or "").
PATTERN: tuple[tuple[str, str, str, int, float | None, str], ...] = (
    (TriageState.NEW, "", TEAM_EAST, Priority.HIGH, -20, ""),
    (TriageState.IN_PROGRESS, "cs_agent", TEAM_EAST, Priority.NORMAL, 6, "draft"),
    (TriageState.IN_PROGRESS, "cs_agent2", TEAM_WEST, Priority.HIGH, -3, "draft"),
    (TriageState.WAITING, "cs_agent", TEAM_EAST, Priority.NORMAL, 30, "sent"),
    (TriageState.RESOLVED, "cs_agent2", TEAM_WEST, Priority.NORMAL, None, "sent"),
    (TriageState.NO_ACTION, "cs_lead", TEAM_EAST, Priority.LOW, None, ""),
    (TriageState.IN_PROGRESS, "cs_lead", TEAM_WEST, Priority.URGENT, 2, ""),
    (TriageState.NEW, "", TEAM_WEST, Priority.URGENT, -50, ""),
    (TriageState.RESOLVED, "cs_agent", TEAM_EAST, Priority.NORMAL, None, "sent"),
    (TriageState.NEW, "", "", Priority.NORMAL, None, ""),
    (TriageState.WAITING, "cs_agent2", TEAM_WEST, Priority.HIGH, 48, "sent"),
    (TriageState.IN_PROGRESS, "cs_agent", TEAM_EAST, Priority.NORMAL, -1, ""),
)
# The state path from "new" to each state (the workflow allows one step at a time).
PATHS = {
    TriageState.NEW: [],
    TriageState.IN_PROGRESS: [TriageState.IN_PROGRESS],
    TriageState.WAITING: [TriageState.IN_PROGRESS, TriageState.WAITING],
    TriageState.RESOLVED: [TriageState.IN_PROGRESS, TriageState.RESOLVED],
    TriageState.NO_ACTION: [TriageState.NO_ACTION],
}
REPLY_SUBJECT = "{company_name}へのご意見ありがとうございました"
REPLY_BODY = (
    "{customer_name} 様\n\n"
    "このたびは{company_name}にご意見をお寄せいただき、誠にありがとうございます。\n"
    "いただいた「{feedback_excerpt}」というお声は、担当部署と共有し、改善に役立ててまいります。\n"
    "ご不便をおかけしたことを心よりお詫び申し上げます。\n\n"
    "{company_name} カスタマーサポート {staff_name}"
)


def stage_inbox(*, users: dict[str, Any], now: datetime) -> dict[str, int]:
    """Work on the most recent contactable items as the two teams would have by now."""
    teams = {t.name: t for t in Team.objects.filter(name__in=[TEAM_EAST, TEAM_WEST])}
    candidates = list(
        FeedbackItem.objects.filter(
            state=TriageState.NEW,
            customer__contact_allowed=True,
            customer__forgotten_at__isnull=True,
        )
        .exclude(customer__email="")
        .exclude(text="")
        .order_by("-received_at", "-id")
        .values_list("id", "sentiment")[: INBOX_ITEMS * 3]
    )
    # Complaints get the urgent work and the apologies; praise and suggestions the rest.
    complaints = [pk for pk, sentiment in candidates if sentiment in ("negative", "mixed")]
    others = [pk for pk, sentiment in candidates if sentiment not in ("negative", "mixed")]
    work = []
    for n in range(min(INBOX_ITEMS, len(candidates))):
        pattern = PATTERN[n % len(PATTERN)]
        serious = pattern[3] >= Priority.HIGH or pattern[5] != ""
        first, second = (complaints, others) if serious else (others, complaints)
        work.append(((first or second).pop(0), pattern))
    counts = {"items": 0, "replies_sent": 0, "replies_drafted": 0}
    with triage.buffered_events():
        for item_id, pattern in work:
            state, owner_name, team_name, priority, due_hours, reply = pattern
            owner = users.get(owner_name) if owner_name else None
            actor = users.get("cs_lead")
            triage.update_triage(
                item_id=item_id,
                actor=actor,
                owner=owner,
                team=teams.get(team_name),
                priority=priority,
                due_at=None if due_hours is None else now + timedelta(hours=due_hours),
            )
            staff = owner or actor
            for step in PATHS[state]:
                if reply == "sent" and step in (TriageState.WAITING, TriageState.RESOLVED):
                    _reply(item_id=item_id, staff=staff, send=True, now=now)
                    counts["replies_sent"] += 1
                    reply = ""
                triage.change_state(item_id=item_id, actor=staff, state=step)
            if reply:
                _reply(item_id=item_id, staff=staff, send=reply == "sent", now=now)
                counts["replies_sent" if reply == "sent" else "replies_drafted"] += 1
            counts["items"] += 1
    return counts


def _reply(*, item_id: int, staff: Any, send: bool, now: datetime) -> None:
    """A reply written from the team's wording and signed with ``staff``'s display name; a sent
    one is recorded as sent an hour ago (the demo sends no e-mail)."""
    item = FeedbackItem.objects.select_related("customer", "response__survey").get(id=item_id)
    values = {**reply_services.placeholder_values(item=item, staff=staff), "company_name": BRAND}
    draft = reply_services.save_reply_draft(
        item_id=item_id,
        actor=staff,
        subject=reply_services.fill_placeholders(REPLY_SUBJECT, values),
        body=reply_services.fill_placeholders(REPLY_BODY, values),
    )
    if send:
        draft.state = ReplyState.SENT
        draft.to_email = item.customer.email
        draft.sent_by = staff
        draft.sent_at = now - timedelta(hours=1)
        draft.save(update_fields=["state", "to_email", "sent_by", "sent_at", "updated_at"])
        triage.record_event(item=item, actor=staff, kind=EventKind.REPLY, new=draft.subject)


# --- improvement actions and reports ----------------------------------------------------------

ACTIONS = (
    # (title, keyword of the topic it addresses, status, description)
    (
        "新物流センターの稼働で配送日数を短縮",
        "配送",
        "verified",
        "2026年5月に新物流センターが稼働。下期のアンケートで配送への不満が減ったかを確認する。",
    ),
    (
        "アプリのログインを生体認証に対応",
        "ログイン",
        "in_progress",
        "ログインできない・パスワードを忘れるという声が多い。次のリリースで対応する。",
    ),
    (
        "ポイント付与ルールの見直し",
        "ポイント",
        "planned",
        "付与率や有効期限が分かりにくいという声を受けて、案内ページと付与ルールを見直す。",
    ),
    (
        "解約手続きのオンライン化",
        "解約",
        "proposed",
        "電話でしか解約できないことへの不満。Webで完結できるようにする案。",
    ),
)


def _topic_for(keyword: str) -> Topic | None:
    """The topic most items containing ``keyword`` belong to."""
    items = voc_selectors.filter_by_keyword(
        FeedbackItem.objects.exclude(topic__isnull=True).filter(topic__is_active=True), keyword
    )
    counts = Counter(items.values_list("topic_id", flat=True)[:2000])
    if not counts:
        return None
    return Topic.objects.filter(id=counts.most_common(1)[0][0]).first()


def stage_actions(*, users: dict[str, Any], now: datetime) -> int:
    """Improvement actions (reports app's model, looked up by name: the demo app does not import
    the reports app) at every stage; the delivery fix shipped on the demo's fix date."""
    if not apps.is_installed("engagement.reports"):
        return 0
    action_model = apps.get_model("reports", "ImprovementAction")
    created = 0
    for title, keyword, status, description in ACTIONS:
        if action_model.objects.filter(title=title).exists():
            continue
        shipped = status in ("shipped", "verified")
        action = action_model.objects.create(
            title=title,
            description=description,
            owner=users.get("product"),
            status=status,
            shipped_on=FIX_DATE.date() if shipped else None,
            verified_at=now if status == "verified" else None,
        )
        topic = _topic_for(keyword)
        if topic is not None:
            action.topics.add(topic)
        created += 1
    return created


def request_reports(*, actor: Any) -> int:
    """One report per closed wave's half year; the second is compared with the first. Generated
    by the reports app's own task (through the outbox, by name)."""
    if not apps.is_installed("engagement.reports"):
        return 0
    report_model = apps.get_model("reports", "Report")
    periods = [
        (WAVES[0].starts_on, WAVES[0].ends_on),
        (WAVES[1].starts_on, min(WAVES[1].ends_on, AS_OF)),
    ]
    created = 0
    for start, end in periods:
        if report_model.objects.filter(period_start=start, period_end=end).exists():
            continue
        report = report_model.objects.create(
            title=f"改善レポート {start:%Y年%m月}〜{end:%Y年%m月}",
            period_start=start,
            period_end=end,
            requested_by=actor,
        )
        # The reports app's service does the same (reports.services.request_report).
        outbox.enqueue(
            task_name="reports.generate_report",
            kwargs={"report_id": report.id},
            dedup_key=f"report-generate-{report.id}",
        )
        created += 1
    return created
