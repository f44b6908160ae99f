"""Reads for results: response counts and rates, NPS with its 95% CI, score distributions,
awareness indices, and the significance of a change between two waves.

Filters (all optional, combined): survey, wave, segment (customer segment), touchpoint. Figures
for fewer than ``scoring.SMALL_SAMPLE`` responses carry ``small_sample=True``: show them, marked
as not reliable, rather than as confident numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Avg, Count, OuterRef, Q, QuerySet
from django.db.models.functions import JSONObject

from surveys import scoring
from surveys.models import (
    Answer,
    Invitation,
    NpsCategory,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
    Wave,
)
from surveys.services.answering import ANSWER_ROW_FIELDS


def completed_responses(
    *,
    survey: Survey | int | None = None,
    wave: Wave | int | None = None,
    segment: str | None = None,
    touchpoint: str | None = None,
) -> QuerySet[Response]:
    qs = Response.objects.filter(status=ResponseStatus.COMPLETED)
    if survey is not None:
        qs = qs.filter(survey=survey)
    if wave is not None:
        qs = qs.filter(survey__wave=wave)
    if segment:
        qs = qs.filter(customer__segment=segment)
    if touchpoint:
        qs = qs.filter(touchpoint=touchpoint)
    return qs.order_by("-submitted_at", "-id")


def nps_summary(responses: QuerySet[Response]) -> scoring.NpsEstimate:
    """NPS of the completed responses in ``responses`` with its 95% CI (one query)."""
    counts = responses.filter(status=ResponseStatus.COMPLETED).aggregate(
        promoters=Count("id", filter=Q(nps_category=NpsCategory.PROMOTER)),
        passives=Count("id", filter=Q(nps_category=NpsCategory.PASSIVE)),
        detractors=Count("id", filter=Q(nps_category=NpsCategory.DETRACTOR)),
    )
    return scoring.nps_estimate(**counts)


def score_distribution(responses: QuerySet[Response]) -> dict[int, int]:
    """How many completed responses gave each NPS score, 0–10 (all eleven keys)."""
    rows = (
        responses.filter(status=ResponseStatus.COMPLETED, nps_score__isnull=False)
        .order_by()
        .values("nps_score")
        .annotate(n=Count("id"))
    )
    out = dict.fromkeys(range(11), 0)
    for row in rows:
        out[row["nps_score"]] = row["n"]
    return out


def csat_distribution(responses: QuerySet[Response]) -> dict[int, int]:
    rows = (
        responses.filter(status=ResponseStatus.COMPLETED, csat_score__isnull=False)
        .order_by()
        .values("csat_score")
        .annotate(n=Count("id"))
    )
    out = dict.fromkeys(range(1, 6), 0)
    for row in rows:
        out[row["csat_score"]] = row["n"]
    return out


@dataclass(frozen=True)
class AwarenessSummary:
    n: int
    empathy: float | None
    attachment: float | None
    awareness: float | None
    csat: float | None  # mean CSAT 1–5
    small_sample: bool


def awareness_summary(responses: QuerySet[Response]) -> AwarenessSummary:
    """Mean indices (0–100) over completed responses that have them."""
    row = responses.filter(status=ResponseStatus.COMPLETED).aggregate(
        n=Count("id", filter=Q(awareness_index__isnull=False)),
        empathy=Avg("empathy_index"),
        attachment=Avg("attachment_index"),
        awareness=Avg("awareness_index"),
        csat=Avg("csat_score"),
    )
    return AwarenessSummary(
        n=row["n"],
        empathy=row["empathy"],
        attachment=row["attachment"],
        awareness=row["awareness"],
        csat=row["csat"],
        small_sample=row["n"] < scoring.SMALL_SAMPLE,
    )


@dataclass(frozen=True)
class ResponseRate:
    invited: int
    completed: int
    rate: float | None  # % of invitations answered


def response_rate(
    *,
    survey: Survey | int | None = None,
    wave: Wave | int | None = None,
    segment: str | None = None,
) -> ResponseRate:
    """Completed personal-link responses ÷ invitations (public-link answers are not counted)."""
    invitations = Invitation.objects.all()
    if survey is not None:
        invitations = invitations.filter(survey=survey)
    if wave is not None:
        invitations = invitations.filter(survey__wave=wave)
    if segment:
        invitations = invitations.filter(customer__segment=segment)
    row = invitations.aggregate(
        invited=Count("id"),
        completed=Count("id", filter=Q(response__status=ResponseStatus.COMPLETED)),
    )
    rate = row["completed"] / row["invited"] * 100 if row["invited"] else None
    return ResponseRate(invited=row["invited"], completed=row["completed"], rate=rate)


def results(
    *,
    survey: Survey | int | None = None,
    wave: Wave | int | None = None,
    segment: str | None = None,
    touchpoint: str | None = None,
) -> dict[str, Any]:
    """Everything a results page shows for one slice."""
    qs = completed_responses(survey=survey, wave=wave, segment=segment, touchpoint=touchpoint)
    return {
        "responses": qs.count(),
        "rate": None if touchpoint else response_rate(survey=survey, wave=wave, segment=segment),
        "nps": nps_summary(qs),
        "distribution": score_distribution(qs),
        "csat_distribution": csat_distribution(qs),
        "awareness": awareness_summary(qs),
    }


def nps_by_touchpoint(
    *, survey: Survey | int | None = None, wave: Wave | int | None = None
) -> dict[str, scoring.NpsEstimate]:
    """NPS per touchpoint in one query (touchpoints with no answers are left out)."""
    rows = (
        completed_responses(survey=survey, wave=wave)
        .exclude(touchpoint="")
        .order_by()
        .values("touchpoint")
        .annotate(
            promoters=Count("id", filter=Q(nps_category=NpsCategory.PROMOTER)),
            passives=Count("id", filter=Q(nps_category=NpsCategory.PASSIVE)),
            detractors=Count("id", filter=Q(nps_category=NpsCategory.DETRACTOR)),
        )
    )
    return {
        r["touchpoint"]: scoring.nps_estimate(
            promoters=r["promoters"], passives=r["passives"], detractors=r["detractors"]
        )
        for r in rows
    }


@dataclass(frozen=True)
class WaveComparison:
    a: scoring.NpsEstimate
    b: scoring.NpsEstimate
    nps_change: scoring.Difference
    awareness_change: scoring.Difference


def compare_waves(
    *,
    wave_a: Wave | int,
    wave_b: Wave | int,
    segment: str | None = None,
    touchpoint: str | None = None,
) -> WaveComparison:
    """Change from wave A to wave B: NPS (z-test) and awareness index (Welch), two-sided, 5%."""
    qa = completed_responses(wave=wave_a, segment=segment, touchpoint=touchpoint)
    qb = completed_responses(wave=wave_b, segment=segment, touchpoint=touchpoint)
    est_a, est_b = nps_summary(qa), nps_summary(qb)
    aw_a = list(qa.filter(awareness_index__isnull=False).values_list("awareness_index", flat=True))
    aw_b = list(qb.filter(awareness_index__isnull=False).values_list("awareness_index", flat=True))
    return WaveComparison(
        a=est_a,
        b=est_b,
        nps_change=scoring.nps_difference(est_a, est_b),
        awareness_change=scoring.mean_difference(aw_a, aw_b),
    )


def surveys_for_listing() -> QuerySet[Survey]:
    return Survey.objects.select_related("wave").order_by("slug")


def open_surveys() -> QuerySet[Survey]:
    return Survey.objects.filter(status=SurveyStatus.OPEN).order_by("id")


def invitation_links(*, survey: Survey) -> list[tuple[str, str]]:
    """``(customer external id, personal URL)`` for each invitation of ``survey``."""
    from surveys.services.distribution import personal_url

    invitations = (
        Invitation.objects.filter(survey=survey, customer__forgotten_at__isnull=True)
        .select_related("customer")
        .order_by("customer__external_id", "id")
    )
    return [(inv.customer.external_id, personal_url(inv)) for inv in invitations]


# --- customer pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnsweringState:
    """What a personal-link page needs: the invitation with its survey (and wave), its response
    when started, and that response's saved answers (``answers.ANSWER_ROW_FIELDS`` dicts), or
    ``None`` when they were not read with it (a database without array subqueries)."""

    invitation: Invitation
    response: Response | None
    answer_rows: list[dict[str, Any]] | None


def _answer_rows_column(response_ref: str) -> ArraySubquery:
    return ArraySubquery(
        Answer.objects.filter(response_id=OuterRef(response_ref))
        .order_by("question_id")
        .values(row=JSONObject(**{name: name for name in ANSWER_ROW_FIELDS}))
    )


def answering_invitation(*, nonce: str) -> AnsweringState | None:
    """The invitation of ``nonce`` with its survey, response and saved answers: one query on
    PostgreSQL (the answers as an array column), two elsewhere."""
    invitations = Invitation.objects.select_related("survey", "survey__wave", "response")
    arrays = connection.vendor == "postgresql"
    if arrays:
        invitations = invitations.annotate(answer_rows=_answer_rows_column("response__id"))
    invitation = invitations.filter(nonce=nonce).order_by().first()
    if invitation is None:
        return None
    try:
        response: Response | None = invitation.response
    except Response.DoesNotExist:
        response = None
    rows = getattr(invitation, "answer_rows", None) if arrays else None
    if response is not None:
        response.survey = invitation.survey  # the same row: no second read
    return AnsweringState(invitation=invitation, response=response, answer_rows=rows)


def answering_public_response(
    *, response_id: int, survey: Survey
) -> tuple[Response, list[dict[str, Any]] | None] | None:
    """The anonymous response ``response_id`` of ``survey`` (public link) with its saved answers
    (``None`` rows when they were not read with it)."""
    responses = Response.objects.filter(id=response_id, survey=survey, invitation__isnull=True)
    arrays = connection.vendor == "postgresql"
    if arrays:
        responses = responses.annotate(answer_rows=_answer_rows_column("id"))
    response = responses.order_by().first()
    if response is None:
        return None
    response.survey = survey
    return response, (response.answer_rows if arrays else None)
