"""Bulk actions over a selection: small ones run at once, large ones in the background with
progress (``BulkJob``), chunk by chunk, resumable after a worker restart."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers.models import Team
from engagement.platform import outbox
from engagement.platform.errors import DomainError, InvalidInput
from voc.models import FeedbackItem, Topic, TriageState

from ..models import BulkAction, BulkJob, JobState, Tag
from .workflow import (
    apply_assignment,
    apply_duplicate,
    apply_state,
    apply_tag,
    apply_topic,
    buffered_events,
    get_or_create_tag,
)

INLINE_LIMIT = 200
CHUNK_SIZE = 500


def _resolve(action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check the parameters once, before any item changes; returns the loaded objects."""
    user_model = get_user_model()
    if action == BulkAction.ASSIGN:
        owner = team = None
        if params.get("owner_id"):
            owner = user_model.objects.filter(
                id=params["owner_id"], is_active=True, is_staff=True
            ).first()
            if owner is None:
                raise InvalidInput(
                    _("Only active staff members can own an item."),
                    fields={"owner": [_("Invalid.")]},
                )
        if params.get("team_id"):
            team = Team.objects.filter(id=params["team_id"]).first()
            if team is None:
                raise InvalidInput(_("The team does not exist."), fields={"team": [_("Invalid.")]})
        if owner is None and team is None:
            raise InvalidInput(
                _("Choose an owner or a team to assign."), fields={"owner": [_("Required.")]}
            )
        return {"owner": owner if owner else ..., "team": team if team else ...}
    if action == BulkAction.STATE:
        if params.get("state") not in TriageState.values:
            raise InvalidInput(_("Choose a state."), fields={"state": [_("Required.")]})
        return {"state": params["state"]}
    if action == BulkAction.TAG:
        tag = Tag.objects.filter(id=params.get("tag_id")).first() if params.get("tag_id") else None
        if tag is None:
            raise InvalidInput(_("Enter a tag name."), fields={"tag": [_("Required.")]})
        return {"tag": tag}
    if action == BulkAction.TOPIC:
        topic = (
            Topic.objects.filter(id=params.get("topic_id")).first()
            if params.get("topic_id")
            else None
        )
        if topic is None:
            raise InvalidInput(_("Choose a topic."), fields={"topic": [_("Required.")]})
        return {"topic": topic}
    if action == BulkAction.MERGE:
        primary = FeedbackItem.objects.filter(id=params.get("primary_id")).first()
        if primary is None:
            raise InvalidInput(_("Choose the original item."), fields={"primary": [_("Required.")]})
        return {"primary": primary}
    raise InvalidInput(_("Unknown bulk action."))


def _apply_one(action: str, item: FeedbackItem, actor: Any, resolved: dict[str, Any]) -> bool:
    if action == BulkAction.ASSIGN:
        return apply_assignment(
            item=item, actor=actor, owner=resolved["owner"], team=resolved["team"]
        )
    if action == BulkAction.STATE:
        if item.state == resolved["state"]:
            return False
        return apply_state(item=item, actor=actor, state=resolved["state"])
    if action == BulkAction.TAG:
        return apply_tag(item=item, actor=actor, tag=resolved["tag"])
    if action == BulkAction.TOPIC:
        return apply_topic(item=item, actor=actor, topic=resolved["topic"])
    if action == BulkAction.MERGE:
        if item.id == resolved["primary"].id:
            return False
        return apply_duplicate(item=item, actor=actor, primary=resolved["primary"])
    return False


def start_bulk_action(
    *,
    queryset: QuerySet[FeedbackItem],
    action: str,
    actor: Any,
    owner_id: int | None = None,
    team_id: int | None = None,
    state: str | None = None,
    tag_name: str | None = None,
    topic_id: int | None = None,
) -> BulkJob:
    """Start ``action`` on every item of ``queryset`` (already limited to what ``actor`` sees)."""
    ids = list(queryset.order_by("received_at", "id").values_list("id", flat=True))
    if not ids:
        raise InvalidInput(_("No items are selected."))
    params: dict[str, Any] = {}
    if action == BulkAction.ASSIGN:
        params = {"owner_id": owner_id, "team_id": team_id}
    elif action == BulkAction.STATE:
        params = {"state": state}
    elif action == BulkAction.TAG:
        params = {"tag_id": get_or_create_tag(name=tag_name or "").id}
    elif action == BulkAction.TOPIC:
        params = {"topic_id": topic_id}
    elif action == BulkAction.MERGE:
        if len(ids) < 2:
            raise InvalidInput(_("Select at least two items to merge."))
        params = {"primary_id": ids[0]}  # the earliest received item is the original
    _resolve(action, params)
    with transaction.atomic():
        job = BulkJob.objects.create(
            action=action, params=params, item_ids=ids, total=len(ids), actor=actor
        )
        if len(ids) > INLINE_LIMIT:
            outbox.enqueue(
                task_name="triage.run_bulk_job",
                kwargs={"job_id": job.id},
                dedup_key=f"triage-bulk-{job.id}",
            )
    if len(ids) <= INLINE_LIMIT:
        run_bulk_job(job_id=job.id)
        job.refresh_from_db()
    return job


def run_bulk_job(*, job_id: int) -> BulkJob | None:
    """Process the job's remaining items chunk by chunk; each chunk commits with its progress."""
    job = BulkJob.objects.filter(id=job_id).select_related("actor").first()
    if job is None or job.state in (JobState.DONE, JobState.FAILED):
        return job
    BulkJob.objects.filter(id=job.id).update(state=JobState.RUNNING, updated_at=timezone.now())
    try:
        resolved = _resolve(job.action, job.params)
    except DomainError as exc:
        BulkJob.objects.filter(id=job.id).update(
            state=JobState.FAILED, last_error=exc.message, finished_at=timezone.now()
        )
        return job
    touched_topics: set[int] = set()
    while True:
        job.refresh_from_db(fields=["processed", "changed", "skipped"])
        chunk = job.item_ids[job.processed : job.processed + CHUNK_SIZE]
        if not chunk:
            break
        changed = skipped = 0
        with transaction.atomic(), buffered_events():
            items = FeedbackItem.objects.select_for_update().filter(id__in=chunk).order_by("id")
            for item in items:
                if item.topic_id:
                    touched_topics.add(item.topic_id)
                # The apply_* helpers check before they write, so a refusal leaves the item as
                # it was (no savepoint needed per item).
                try:
                    if _apply_one(job.action, item, job.actor, resolved):
                        changed += 1
                except DomainError:
                    skipped += 1  # e.g. an illegal state change for this item
            BulkJob.objects.filter(id=job.id).update(
                processed=job.processed + len(chunk),
                changed=job.changed + changed,
                skipped=job.skipped + skipped,
                updated_at=timezone.now(),
            )
    if job.action in (BulkAction.TOPIC, BulkAction.MERGE):
        from voc.services.analysis import refresh_topic_counts

        if job.action == BulkAction.TOPIC:
            touched_topics.add(resolved["topic"].id)
        refresh_topic_counts(sorted(touched_topics))
    BulkJob.objects.filter(id=job.id).update(state=JobState.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job
