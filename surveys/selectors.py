"""Reads for results: response counts and rates, NPS with its 95% CI, score distributions,
awareness indices, and the significance of a change between two waves.

Filters (all optional, combined): survey, wave, segment (customer segment), touchpoint. Figures
for fewer than ``scoring.SMALL_SAMPLE`` responses carry ``small_sample=True``: show them, marked
as not reliable, rather than as confident numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet

from surveys import scoring
from surveys.models import (
    Invitation,
    NpsCategory,
    Question,
    QuestionWording,
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
    # Questions worded differently between or within the waves: read the change with care.
    wording_changes: list[WordingChange] = field(default_factory=list)


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
        wording_changes=wording_changes(wave_a=wave_a, wave_b=wave_b),
    )


@dataclass(frozen=True)
class WordingChange:
    """A question whose wording differs between what two groups of respondents were asked."""

    key: str
    before: str
    after: str
    changed_at: datetime | None  # within a survey (a new version); None: between two waves


def wording_changes(*, wave_a: Wave | int, wave_b: Wave | int) -> list[WordingChange]:
    """Questions (by key) worded differently in wave A's surveys than in wave B's, and questions
    reworded while wave B's survey was answered (earlier versions), in key order."""

    def texts(wave: Wave | int) -> dict[str, str]:
        rows = (
            Question.objects.filter(survey__wave=wave, archived_at__isnull=True)
            .order_by("survey_id", "page__position", "position")
            .values_list("key", "text")
        )
        return dict(rows)

    a, b = texts(wave_a), texts(wave_b)
    out = [
        WordingChange(key=key, before=a[key], after=b[key], changed_at=None)
        for key in sorted(a.keys() & b.keys())
        if a[key] != b[key]
    ]
    for w in (
        QuestionWording.objects.filter(question__survey__wave__in=[wave_a, wave_b])
        .select_related("question")
        .order_by("question__key", "replaced_at", "id")
    ):
        out.append(
            WordingChange(
                key=w.question.key, before=w.text, after=w.question.text, changed_at=w.replaced_at
            )
        )
    return out


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
