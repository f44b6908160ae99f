"""Writes: requesting and generating reports, weekly schedules, e-mails, improvement actions."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.customers.models import Touchpoint
from engagement.platform import outbox
from engagement.platform.errors import Conflict, InvalidInput, NotFound
from engagement.reports import selectors, value_ranking
from engagement.reports.models import (
    ACTION_TRANSITIONS,
    ActionStatus,
    ImprovementAction,
    ProductArea,
    Report,
    ReportKind,
    ReportStatus,
)
from surveys.filters import AnalysisFilters
from surveys.models import Survey

logger = logging.getLogger(__name__)

MAX_PERIOD_DAYS = 400
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
GENERATE_TASK = "reports.generate_report"
EMAIL_TASK = "reports.email_report"


def request_report(
    *,
    period_start: date,
    period_end: date,
    product_area: ProductArea | None = None,
    segment: str = "",
    touchpoint: str = "",
    survey: Survey | None = None,
    filters: AnalysisFilters | None = None,
    actor: Any = None,
    kind: str = ReportKind.ON_DEMAND,
) -> Report:
    """Record a report to generate and queue its generation (in the background, with progress).

    ``filters``: the shared analysis filters (``surveys.filters``) beyond the period; segment,
    touchpoint and survey given on their own win over theirs."""
    filters = filters or AnalysisFilters()
    segment = segment.strip() or filters.segment
    touchpoint = touchpoint or filters.touchpoint
    if survey is None and filters.survey_id:
        survey = Survey.objects.filter(id=filters.survey_id).first()
    stored = replace(
        filters,
        date_from=None,
        date_to=None,
        segment=segment,
        touchpoint=touchpoint,
        survey_id=survey.id if survey else None,
    )
    errors: dict[str, list[str]] = {}
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if not EARLIEST <= value <= LATEST:
            errors[name] = [
                _("Choose a date between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
            ]
    if errors:
        pass
    elif period_end < period_start:
        errors["period_end"] = [_("The end date must be on or after the start date.")]
    elif (period_end - period_start).days + 1 > MAX_PERIOD_DAYS:
        errors["period_end"] = [
            _("A report covers at most %(days)d days.") % {"days": MAX_PERIOD_DAYS}
        ]
    if touchpoint and touchpoint not in Touchpoint.values:
        errors["touchpoint"] = [_("Unknown touchpoint.")]
    if errors:
        raise InvalidInput(_("The report settings have errors."), fields=errors)
    with transaction.atomic():
        report = Report.objects.create(
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            product_area=product_area,
            segment=segment,
            touchpoint=touchpoint,
            survey=survey,
            filters=stored.query_string(),
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        outbox.enqueue(
            task_name=GENERATE_TASK,
            kwargs={"report_id": report.id},
            dedup_key=f"report-generate-{report.id}",
        )
    return report


def _set_progress(report_id: int, percent: int) -> None:
    Report.objects.filter(id=report_id).update(progress=percent, updated_at=timezone.now())


class EarlierReportPending(Exception):
    """An earlier report of the same scope is not finished: this one, compared with it, waits
    (transient: the task retries with back-off)."""


def generate_report(*, report_id: int) -> Report:
    """Compute the report and store its snapshot. Running it again on a done report is a no-op.
    Raises ``EarlierReportPending`` while the report it is compared with is still generated."""
    report = Report.objects.select_related("product_area", "survey").filter(id=report_id).first()
    if report is None:
        raise NotFound(_("This report does not exist."))
    if report.status == ReportStatus.DONE:
        return report
    if selectors.earlier_report_in_progress(report=report):
        raise EarlierReportPending(report_id)
    Report.objects.filter(id=report_id).update(
        status=ReportStatus.RUNNING, progress=1, error="", updated_at=timezone.now()
    )
    previous = selectors.previous_report(report=report)
    try:
        data = selectors.compute_report(
            period_start=report.period_start,
            period_end=report.period_end,
            product_area=report.product_area,
            segment=report.segment,
            touchpoint=report.touchpoint,
            survey=report.survey,
            filters=selectors.report_filters(report),
            window_days=selectors.report_filters(report).window_days,
            previous=previous.data if previous else None,
            progress=lambda percent: _set_progress(report_id, percent),
        )
    except Exception as exc:
        Report.objects.filter(id=report_id).update(
            status=ReportStatus.FAILED,
            error=f"{exc.__class__.__name__}: {exc}"[:2000],
            updated_at=timezone.now(),
        )
        raise
    data["generated_at"] = timezone.now().isoformat()
    data["previous_report_id"] = previous.id if previous else None
    data["value_topics"] = value_ranking.topics_by_customer_value(report=report)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(id=report_id)
        report.data = data
        report.status = ReportStatus.DONE
        report.progress = 100
        report.generated_at = timezone.now()
        report.save(update_fields=["data", "status", "progress", "generated_at", "updated_at"])
        if report.kind == ReportKind.WEEKLY and report.product_area_id:
            outbox.enqueue(
                task_name=EMAIL_TASK,
                kwargs={"report_id": report.id},
                dedup_key=f"report-email-{report.id}",
            )
    return report


def week_before(now: datetime) -> tuple[date, date]:
    """Monday to Sunday of the week before ``now`` (Asia/Tokyo)."""
    today = timezone.localtime(now).date()
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


def schedule_weekly_reports(*, now: datetime | None = None) -> list[Report]:
    """Create (once) and queue last week's report for every product area."""
    start, end = week_before(now or timezone.now())
    created = []
    for area in ProductArea.objects.order_by("id"):
        if Report.objects.filter(
            kind=ReportKind.WEEKLY, product_area=area, period_start=start
        ).exists():
            continue
        try:
            created.append(
                request_report(
                    period_start=start, period_end=end, product_area=area, kind=ReportKind.WEEKLY
                )
            )
        except IntegrityError:  # a concurrent run created it first (unique per area and week)
            continue
    return created


def email_report(*, report_id: int) -> int:
    """E-mail the summary of a finished report, with its link, to the area's subscribers once."""
    report = Report.objects.select_related("product_area").filter(id=report_id).first()
    if report is None or report.status != ReportStatus.DONE or report.emailed_at is not None:
        return 0
    if report.product_area is None:
        return 0
    recipients = sorted(
        {
            email
            for email in report.product_area.subscriptions.filter(user__is_active=True).values_list(
                "user__email", flat=True
            )
            if email
        }
    )
    if recipients:
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "report": report,
                "data": report.data,
                "url": settings.SITE_URL + reverse("reports:report", args=[report.id]),
            }
            subject = _("Weekly improvement report: %(area)s (%(start)s – %(end)s)") % {
                "area": report.product_area.name,
                "start": report.period_start.isoformat(),
                "end": report.period_end.isoformat(),
            }
            body = render_to_string("reports/email_summary.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    Report.objects.filter(id=report_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now(), updated_at=timezone.now()
    )
    return len(recipients)


# --- Improvement actions ----------------------------------------------------------------------


def change_action_status(
    *,
    action: ImprovementAction,
    status: str,
    actor: Any = None,
    shipped_on: date | None = None,
    now: datetime | None = None,
) -> ImprovementAction:
    """Move an action along proposed → planned → in progress → shipped → verified."""
    now = now or timezone.now()
    if status not in ActionStatus.values:
        raise InvalidInput(_("Unknown status."), fields={"status": [_("Unknown status.")]})
    with transaction.atomic():
        action = ImprovementAction.objects.select_for_update().get(id=action.id)
        if status not in ACTION_TRANSITIONS[action.status]:
            raise Conflict(
                _("An action cannot go from “%(old)s” to “%(new)s”.")
                % {
                    "old": ActionStatus(action.status).label,
                    "new": ActionStatus(status).label,
                }
            )
        if status == ActionStatus.SHIPPED:
            action.shipped_on = shipped_on or action.shipped_on or timezone.localdate(now)
        if status == ActionStatus.VERIFIED:
            action.verified_at = now
        if status in (ActionStatus.PROPOSED, ActionStatus.PLANNED, ActionStatus.IN_PROGRESS):
            action.shipped_on = None
            action.verified_at = None
        action.status = status
        action.save(update_fields=["status", "shipped_on", "verified_at", "updated_at"])
    logger.info("improvement action %s → %s by %s", action.id, status, getattr(actor, "pk", None))
    return action


def heard_you_recipient_count(*, action: ImprovementAction) -> int | None:
    """How many customers would get the 'we heard you' message (None: triage not available)."""
    try:
        from voc.triage.services import heard_you_recipients
    except ImportError:
        return None
    topic_ids = list(action.topics.values_list("id", flat=True))
    if not topic_ids:
        return 0
    return heard_you_recipients(topic_ids=topic_ids).count()


def send_heard_you_for_action(*, action: ImprovementAction, message: str, actor: Any) -> int:
    """Send the 'we heard you' message for a shipped action (once) through the triage service."""
    message = (message or "").strip()
    if not message:
        raise InvalidInput(
            _("Write the message to send."), fields={"message": [_("This field is required.")]}
        )
    if action.status not in (ActionStatus.SHIPPED, ActionStatus.VERIFIED):
        raise Conflict(_("Only a shipped action can send the 'we heard you' message."))
    if action.heard_you_sent_at is not None:
        raise Conflict(_("The 'we heard you' message for this action was already sent."))
    try:
        from voc.triage.services import send_heard_you
    except ImportError as exc:
        raise Conflict(
            _("Sending 'we heard you' messages is not available yet (triage service missing).")
        ) from exc
    topic_ids = list(action.topics.values_list("id", flat=True))
    with transaction.atomic():
        locked = ImprovementAction.objects.select_for_update().get(id=action.id)
        if locked.heard_you_sent_at is not None:
            raise Conflict(_("The 'we heard you' message for this action was already sent."))
        campaign = send_heard_you(topic_ids=topic_ids, message=message, actor=actor)
        count = int(getattr(campaign, "recipients", 0) or 0)
        locked.heard_you_sent_at = timezone.now()
        locked.heard_you_count = count
        locked.save(update_fields=["heard_you_sent_at", "heard_you_count", "updated_at"])
    return count
