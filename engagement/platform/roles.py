"""Staff roles: Django groups and their permissions, kept in sync after every ``migrate``.

Permissions are named by strings (``"app_label.codename"``), so this module imports no app
above the core. ``"app.*"`` means every permission of an app and ``"app.view_*"`` every view
permission of it (apps that do not exist, or have no such permissions yet, add nothing).
A named permission that does not exist is skipped and logged. ``sync_roles()`` is connected to
``post_migrate`` by the triage app (``voc.triage.apps.TriageConfig.ready``).
"""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

logger = logging.getLogger(__name__)

CS_AGENT = "CS agent"
CS_LEAD = "CS lead"
PRODUCT_TEAM = "Product team"
ADMINISTRATOR = "Administrator"

_AGENT = [
    # read the customer context of an item
    "engagement.view_customer",
    "engagement.view_behaviourrecord",
    "engagement.view_behaviourkind",
    "engagement.view_team",
    "engagement.view_personal_data",
    "surveys.view_survey",
    "surveys.view_wave",
    # triage
    "voc.view_feedbackitem",
    "voc.change_feedbackitem",
    "voc.view_topic",
    "triage.view_triageevent",
    "triage.view_tag",
    "triage.add_tag",
    "triage.view_itemtag",
    "triage.add_itemtag",
    "triage.delete_itemtag",
    "triage.view_note",
    "triage.add_note",
    "triage.view_bulkjob",
    "triage.export_feedback",
    # reply to customers
    "triage.view_replytemplate",
    "triage.view_reply",
    "triage.add_reply",
    "triage.change_reply",
    "triage.contact_customer",
]

ROLES: dict[str, list[str]] = {
    CS_AGENT: _AGENT,
    CS_LEAD: [
        *_AGENT,
        # Leads route the unassigned queue and balance work between teams: every team's items.
        "engagement.view_all_teams",
        "triage.view_rule",
        "triage.add_rule",
        "triage.change_rule",
        "triage.delete_rule",
        "triage.view_alert",
        "triage.view_rulerun",
        "triage.view_triagesettings",
        "triage.change_triagesettings",
        "triage.add_replytemplate",
        "triage.change_replytemplate",
        "triage.delete_replytemplate",
        "triage.view_heardyoucampaign",
        "triage.send_heard_you",
        "triage.change_tag",
        "triage.delete_tag",
        "engagement.change_team",
    ],
    # Topics, reports and anonymised quotes; no personal data, no feedback items, no replies.
    PRODUCT_TEAM: [
        # Every team's figures, never personal data (engagement.platform.scope).
        "engagement.view_all_teams",
        "voc.view_topic",
        "reports.view_report",
        "reports.view_improvementaction",
        "reports.view_*",
        # Product teams request reports and own the improvement actions.
        "reports.add_report",
        "reports.add_improvementaction",
        "reports.change_improvementaction",
        "dashboard.view_*",
        "surveys.view_survey",
        "surveys.view_wave",
    ],
    ADMINISTRATOR: [
        "engagement.*",
        "surveys.*",
        "voc.*",
        "triage.*",
        "dashboard.*",
        "reports.*",
        "demo.*",
        "integrations.*",
        "platform.view_branding",
        "platform.change_branding",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "authtoken.*",
    ],
}


def resolve_permissions(
    patterns: list[str], available: dict[str, Any]
) -> tuple[set[Any], list[str]]:
    """Permissions matching ``patterns`` among ``available`` ("app.codename" → Permission)."""
    found: set[Any] = set()
    unknown: list[str] = []
    for pattern in patterns:
        if "*" in pattern:
            found |= {
                perm for name, perm in available.items() if fnmatch.fnmatchcase(name, pattern)
            }
        elif pattern in available:
            found.add(available[pattern])
        else:
            unknown.append(pattern)
    return found, unknown


def sync_roles(*, using: str = "default") -> dict[str, int]:
    """Create the role groups and set their permissions exactly; returns group → count."""
    from django.contrib.auth.models import Group, Permission

    available = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.using(using).select_related("content_type")
    }
    counts: dict[str, int] = {}
    for name, patterns in ROLES.items():
        perms, unknown = resolve_permissions(patterns, available)
        for missing in unknown:
            logger.warning("role %s: permission %s does not exist; skipped", name, missing)
        group, _created = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(perms)
        counts[name] = len(perms)
    return counts


def sync_roles_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate handler: make sure every app's permissions exist, then sync the groups."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles(using=using)
