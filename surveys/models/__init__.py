"""Surveys: design (survey, pages, questions), distribution (invitations) and answers (responses).

A package by sub-domain: ``design``, ``distribution`` and ``responses``; every model and constant
is importable from ``surveys.models`` as before. The link models (public links, URL parameters,
the NPS widget) live in ``surveys.links`` and are registered here too.

Responses are scored once, on submit, and the scores stored on the response (see ``scoring``).
"""

from surveys.links import LinkSource, PublicLink, UrlParameter, Widget
from surveys.models.design import (
    CHOICE_KINDS,
    NUMBER_KINDS,
    OTHER_VALUE,
    TEXT_KINDS,
    AwarenessItem,
    Choice,
    Page,
    Question,
    QuestionKind,
    QuestionRole,
    QuestionWording,
    Survey,
    SurveyStatus,
    Wave,
)
from surveys.models.distribution import (
    ChannelAccount,
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    HoldReason,
    Invitation,
    InvitationStatus,
)
from surveys.models.responses import (
    Answer,
    NpsCategory,
    Response,
    ResponseQuerySet,
    ResponseStatus,
)

__all__ = [
    "CHOICE_KINDS",
    "NUMBER_KINDS",
    "OTHER_VALUE",
    "TEXT_KINDS",
    "Answer",
    "AwarenessItem",
    "ChannelAccount",
    "Choice",
    "Delivery",
    "DeliveryChannel",
    "DeliveryKind",
    "DeliveryStatus",
    "HoldReason",
    "Invitation",
    "InvitationStatus",
    "LinkSource",
    "NpsCategory",
    "Page",
    "PublicLink",
    "Question",
    "QuestionKind",
    "QuestionRole",
    "QuestionWording",
    "Response",
    "ResponseQuerySet",
    "ResponseStatus",
    "Survey",
    "SurveyStatus",
    "UrlParameter",
    "Wave",
    "Widget",
]
