"""Reads for results: response counts and rates, NPS with its 95% CI, score distributions,
awareness indices, and the significance of a change between two waves.

Filters (all optional, combined): survey, wave, segment (customer segment), touchpoint. Figures
for fewer than ``scoring.SMALL_SAMPLE`` responses carry ``small_sample=True``: show them, marked
as not reliable, rather than as confident numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from surveys import scoring
from surveys.models import (
    Invitation,
    NpsCategory,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
    Wave,
)


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
