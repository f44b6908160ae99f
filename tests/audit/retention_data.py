"""Old and recent data of every kind, for the retention tests (unit and integration)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

from engagement.audit.log import record
from engagement.audit.models import AuditAction, RetentionPolicy

NOW = datetime.fromisoformat("2027-06-15T12:00:00+09:00")
OLD = NOW - timedelta(days=800)  # older than every period below
RECENT = NOW - timedelta(days=30)
MONTHS = {"feedback_text": 12, "responses": 12, "behaviour": 24, "audit_log": 18, "exports": 6}


@dataclass
class World:
    old_item: Any
    new_item: Any
    old_response: Any
    new_response: Any
    old_answer: Any
    topic: Any
    old_file: Path
    new_file: Path


def make_world(build: Any) -> World:
    from engagement.audit.retention import _purge_audit
    from surveys.models import Answer, Question

    _purge_audit(NOW + timedelta(days=3650))  # start from an empty log (migrate wrote to it)
    record(action=AuditAction.EXPORT, object_repr="old.csv", at=OLD)
    for kind, months in MONTHS.items():
        RetentionPolicy.objects.update_or_create(kind=kind, defaults={"months": months})
    topic = build.topic("配送")
    customer = build.customer(name="古い人")
    old_response = build.response(customer, score=3, at=OLD)
    new_response = build.response(build.customer(), score=9, at=RECENT)
    page = build.survey1.pages.create(position=1)
    question = Question.objects.create(
        survey=build.survey1, page=page, position=1, key="why", kind="long_text", text="理由"
    )
    old_answer = Answer.objects.create(response=old_response, question=question, text="遅い")
    Answer.objects.create(response=new_response, question=question, text="早い")
    old_item = build.feedback(old_response, topic, text="配送が遅い。山田です。")
    new_item = build.feedback(new_response, topic, text="配送が早い")
    for at in (OLD, OLD, RECENT):
        build.behaviour(customer, "purchase", at, 1000)
    record(action=AuditAction.EXPORT, object_repr="new.csv", at=RECENT)
    exports = Path(settings.MEDIA_ROOT) / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    old_file, new_file = exports / "old.csv", exports / "new.csv"
    old_file.write_text("a")
    new_file.write_text("b")
    os.utime(old_file, (OLD.timestamp(), OLD.timestamp()))
    os.utime(new_file, (RECENT.timestamp(), RECENT.timestamp()))
    return World(
        old_item, new_item, old_response, new_response, old_answer, topic, old_file, new_file
    )


EXPECTED = {
    "feedback_texts_erased": 1,
    "responses_anonymised": 1,
    "behaviour_records_deleted": 2,
    "audit_entries_deleted": 1,
    "files_deleted": 1,
}


def check_applied(world: World) -> None:
    """What a real run leaves: old personal data gone, aggregates and topic counts kept."""
    from engagement.audit.log import verify_chain
    from engagement.audit.models import AuditEntry
    from engagement.customers.models import BehaviourRecord
    from voc.models import FeedbackItem

    world.old_item.refresh_from_db()
    world.new_item.refresh_from_db()
    assert world.old_item.text == "" and world.old_item.tokens == []
    assert world.old_item.topic_id == world.topic.pk  # the topic count stays
    assert world.old_item.sentiment == "negative" and world.old_item.nps_category == "detractor"
    assert world.new_item.text == "配送が早い"
    assert FeedbackItem.objects.filter(topic=world.topic).count() == 2
    world.old_response.refresh_from_db()
    world.new_response.refresh_from_db()
    assert world.old_response.customer_id is None and world.old_response.nps_score == 3
    assert world.new_response.customer_id is not None
    world.old_answer.refresh_from_db()
    assert world.old_answer.text == ""
    assert BehaviourRecord.objects.count() == 1
    assert not AuditEntry.objects.filter(object_repr="old.csv").exists()
    assert AuditEntry.objects.filter(object_repr="new.csv").exists()
    assert not world.old_file.exists() and world.new_file.exists()
    assert verify_chain() == []
