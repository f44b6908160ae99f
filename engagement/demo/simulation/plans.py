"""What the simulation produces for one customer: plain data, written to the database by
``engagement.demo.services``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class BehaviourPlan:
    kind: str
    at: datetime
    touchpoint: str = ""
    amount: int | None = None
    attributes: dict = field(default_factory=dict)


@dataclass
class AnswerPlan:
    wave: int  # index into WAVES
    at: datetime
    nps: int
    awareness: dict[str, int]  # awareness item -> 1..5
    csat: int
    touchpoint: str
    reason: tuple[str, str, str] | None  # (theme, sentiment, text)
    ideas: tuple[str, str, str] | None

    @property
    def category(self) -> str:
        return "promoter" if self.nps >= 9 else "passive" if self.nps >= 7 else "detractor"


@dataclass
class FeedbackPlan:
    channel: str  # voc.models.Channel value
    at: datetime
    text: str
    theme: str
    sentiment: str
    touchpoint: str = ""
    rating: int | None = None
    external_id: str = ""


@dataclass
class CustomerPlan:
    index: int
    external_id: str
    name: str
    email: str
    segment: str
    attributes: dict
    signed_up_on: date
    contact_allowed: bool
    z: float
    pain_theme: str
    pain_severity: float
    behaviours: list[BehaviourPlan] = field(default_factory=list)
    answers: list[AnswerPlan] = field(default_factory=list)
    feedback: list[FeedbackPlan] = field(default_factory=list)
    invited: list[int] = field(default_factory=list)  # indices into WAVES
