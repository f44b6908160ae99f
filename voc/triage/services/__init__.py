"""Writes of the triage workflow. Views, admin, API and tasks all call these."""

from .alerts import deliver_alert, escalate_overdue, record_alert, send_daily_digests
from .bulk import run_bulk_job, start_bulk_action
from .replies import (
    deliver_heard_you,
    deliver_reply,
    heard_you_recipients,
    save_reply_draft,
    send_heard_you,
    send_reply,
)
from .rules import apply_pending_rules, apply_rules, apply_rules_to_items, request_rules
from .workflow import (
    IllegalTransition,
    add_note,
    assign_item,
    change_state,
    check_transition,
    mark_duplicate,
    set_item_topic,
    tag_item,
    untag_item,
    update_triage,
)

__all__ = [
    "IllegalTransition",
    "add_note",
    "apply_pending_rules",
    "apply_rules",
    "apply_rules_to_items",
    "assign_item",
    "change_state",
    "check_transition",
    "deliver_alert",
    "deliver_heard_you",
    "deliver_reply",
    "escalate_overdue",
    "heard_you_recipients",
    "mark_duplicate",
    "record_alert",
    "request_rules",
    "run_bulk_job",
    "save_reply_draft",
    "send_daily_digests",
    "send_heard_you",
    "send_reply",
    "set_item_topic",
    "start_bulk_action",
    "tag_item",
    "untag_item",
    "update_triage",
]
