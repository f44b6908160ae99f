"""The one scope rule: which rows of feedback, customers and responses a user may see.

Every list, detail, search, KWIC, co-occurrence, topic page, dashboard widget, export and API
endpoint goes through the ``visible_to(user)`` queryset methods of ``FeedbackItem``,
``Customer``, ``Response`` (and the triage records hanging off an item), which all build on
``scope_for(user)`` and ``scope_filter(scope, prefix)`` here. Model permissions still decide
*which pages* a role may open; this rule decides *which rows* it sees on them.

- Anonymous, inactive and non-staff users: nothing.
- Superusers and holders of ``engagement.view_all_teams`` (Administrator, Product team): every
  row. Personal data (names, e-mail, phone, and personal data inside free text) only with
  ``engagement.view_personal_data`` — the product team sees everything aggregated and masked.
- Everyone else (CS agents, CS leads): the feedback items of the teams they are a member of or
  lead, and the items they own; the lead of a team (``Team.lead``) also sees the routing queue,
  items with no team yet.
  Customers: those with at least one such item. Responses: those with at least one such item.
  Aggregates (topic counts, co-occurrence, search totals) count only these rows.

Permissions are named by strings, so this module imports no app above the platform.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

ALL_TEAMS_PERM = "engagement.view_all_teams"
PERSONAL_DATA_PERM = "engagement.view_personal_data"


@dataclass(frozen=True)
class Scope:
    """What one user may see: nothing, everything, or some teams (+ own items, + unrouted)."""

    nothing: bool = False
    everything: bool = False
    team_ids: frozenset[int] = field(default_factory=frozenset)
    user_id: int | None = None
    unrouted: bool = False
    personal_data: bool = False


NOTHING = Scope(nothing=True)


def scope_for(user: Any) -> Scope:
    """The scope of ``user`` (cached on the user object for the request)."""
    if user is None or not (
        getattr(user, "is_authenticated", False) and user.is_active and user.is_staff
    ):
        return NOTHING
    cached = getattr(user, "_engagement_scope", None)
    if cached is not None:
        return cached
    personal = bool(user.is_superuser or user.has_perm(PERSONAL_DATA_PERM))
    if user.is_superuser or user.has_perm(ALL_TEAMS_PERM):
        scope = Scope(everything=True, personal_data=personal, user_id=user.pk)
    else:
        from django.apps import apps

        team_model = apps.get_model("engagement", "Team")
        member_of = set(team_model.objects.filter(members=user).values_list("id", flat=True))
        leads = set(team_model.objects.filter(lead=user).values_list("id", flat=True))
        scope = Scope(
            team_ids=frozenset(member_of | leads),
            user_id=user.pk,
            unrouted=bool(leads),
            personal_data=personal,
        )
    with contextlib.suppress(AttributeError):  # exotic user objects: no cache
        user._engagement_scope = scope
    return scope


def sees_all_teams(user: Any) -> bool:
    return scope_for(user).everything


def sees_personal_data(user: Any) -> bool:
    return scope_for(user).personal_data


def scope_filter(scope: Scope, prefix: str = "") -> Q | None:
    """The filter of feedback items in ``scope``; ``prefix`` reaches an item from another model
    (``"feedback_items__"`` from a customer or a response, ``"item__"`` from a note).

    ``None`` means no filter (everything); an impossible filter means nothing.
    """
    if scope.everything:
        return None
    if scope.nothing:
        return Q(pk__in=[])
    condition = Q(**{f"{prefix}team__in": sorted(scope.team_ids)})
    if scope.user_id is not None:
        condition |= Q(**{f"{prefix}owner": scope.user_id})
    if scope.unrouted:
        condition |= Q(**{f"{prefix}team__isnull": True, f"{prefix}pk__isnull": False})
    return condition


def restrict(queryset: Any, user: Any, prefix: str = "") -> Any:
    """``queryset`` limited to the rows reachable through an item ``user`` may see.

    With a prefix (a to-many path) the rows are matched in a subquery, so the result has no
    duplicates and can still be annotated and counted.
    """
    condition = scope_filter(scope_for(user), prefix)
    if condition is None:
        return queryset
    if not prefix:
        return queryset.filter(condition)
    model = queryset.model
    return queryset.filter(pk__in=model._default_manager.filter(condition).values("pk"))
