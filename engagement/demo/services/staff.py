"""The demo's staff: one account per role, two CS teams, display names that sign replies."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from engagement.customers.models import Team


@dataclass(frozen=True)
class DemoStaff:
    username: str
    role: str  # a group of engagement.platform.roles
    # Shown and used to sign replies (``get_full_name()``); family name first, as in Japanese,
    # so it is kept whole in ``first_name``.
    display_name: str
    team: str = ""  # a demo team (TEAMS) the account belongs to


TEAM_EAST = "CSチーム東日本"
TEAM_WEST = "CSチーム西日本"
TEAMS = (TEAM_EAST, TEAM_WEST)
TEAM_LEAD = "cs_lead"  # leads both teams (leads route the unassigned queue between teams)

DEMO_STAFF = (
    DemoStaff("cs_agent", "CS agent", "鈴木 健太", TEAM_EAST),
    DemoStaff("cs_agent2", "CS agent", "高橋 由美", TEAM_WEST),
    DemoStaff("cs_lead", "CS lead", "佐藤 美咲", TEAM_EAST),
    DemoStaff("product", "Product team", "田中 翔"),
)


def ensure_demo_team_members() -> dict[str, object]:
    """The demo staff accounts (without a usable password until ``ensure_demo_staff``) and
    their teams; returns username → user. Reuses what exists."""
    from django.contrib.auth.models import Group

    from engagement.platform import roles

    wanted = [s for s in DEMO_STAFF if s.role in roles.ROLES]
    if Group.objects.filter(name__in=[s.role for s in wanted]).count() != len(
        {s.role for s in wanted}
    ):
        roles.sync_roles()
    user_model = get_user_model()
    users = {}
    with transaction.atomic():
        teams = {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}
        for staff in wanted:
            user, created = user_model.objects.get_or_create(
                username=staff.username, defaults={"email": f"{staff.username}@example.jp"}
            )
            if created:
                user.set_unusable_password()
            user.is_staff = user.is_active = True
            user.is_superuser = False
            if not user.get_full_name():
                user.first_name = staff.display_name
            user.save()
            user.groups.set([Group.objects.get(name=staff.role)])
            if staff.team:
                teams[staff.team].members.add(user)
            users[staff.username] = user
        lead = users.get(TEAM_LEAD)
        for team in teams.values():
            if lead is not None and team.lead_id is None:
                team.lead = lead
                team.save(update_fields=["lead", "updated_at"])
    return users


def ensure_demo_staff() -> list[tuple[str, str, str, str]]:
    """Example staff accounts, one per role of ``engagement.platform.roles`` (two agents in two
    teams): ``(role, username, password, display name and team)``, each with a freshly
    generated password."""
    users = ensure_demo_team_members()
    accounts = []
    with transaction.atomic():
        for staff in DEMO_STAFF:
            user = users.get(staff.username)
            if user is None:
                continue
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            who = user.get_full_name() + (f"・{staff.team}" if staff.team else "")
            accounts.append((staff.role, staff.username, password, who))
    return accounts
