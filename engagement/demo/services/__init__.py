"""Writes of the demo app: the data set (``dataset``), its staff (``staff``) and its working
day on top of it (``workflow``)."""

from .dataset import (
    MAX_CUSTOMERS,
    SeedResult,
    answer_values,
    ensure_demo_admin,
    export_demo_feedback,
    seed_demo,
)
from .staff import DEMO_STAFF, TEAMS, ensure_demo_staff, ensure_demo_team_members
from .workflow import (
    WorkflowResult,
    askable_customers,
    open_demo_survey,
    seed_demo_workflow,
)

__all__ = [
    "DEMO_STAFF",
    "MAX_CUSTOMERS",
    "TEAMS",
    "SeedResult",
    "WorkflowResult",
    "answer_values",
    "askable_customers",
    "ensure_demo_admin",
    "ensure_demo_staff",
    "ensure_demo_team_members",
    "export_demo_feedback",
    "open_demo_survey",
    "seed_demo",
    "seed_demo_workflow",
]
