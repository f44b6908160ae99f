"""Triage around feedback items: audit trail, tags, notes, rules, alerts, replies, bulk jobs.

The triage fields themselves (state, owner, team, priority, due_at, duplicate_of) live on
``voc.FeedbackItem``; everything that changes them goes through ``voc.triage.services``.
"""

from .alerts import Alert, AlertKind, AlertState
from .bulk import BulkAction, BulkJob, JobState
from .replies import HeardYouCampaign, Reply, ReplyState, ReplyTemplate
from .rules import NpsCondition, Rule, RuleRun, TriageSettings, default_workdays
from .workflow import EventKind, ItemTag, Note, Tag, TriageEvent

__all__ = [
    "Alert",
    "AlertKind",
    "AlertState",
    "BulkAction",
    "BulkJob",
    "EventKind",
    "HeardYouCampaign",
    "ItemTag",
    "JobState",
    "Note",
    "NpsCondition",
    "Reply",
    "ReplyState",
    "ReplyTemplate",
    "Rule",
    "RuleRun",
    "Tag",
    "TriageEvent",
    "TriageSettings",
    "default_workdays",
]
