"""Reads for results: response counts and rates, NPS with its 95% CI, score distributions,
awareness indices, and the significance of a change between two waves.

Filters (all optional, combined): survey, wave, segment (customer segment), touchpoint. Figures
for fewer than ``scoring.SMALL_SAMPLE`` responses carry ``small_sample=True``: show them, marked
as not reliable, rather than as confident numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Avg, Count, Model, OuterRef, Q, QuerySet
from django.db.models.functions import JSONObject
from django.db.models.sql.compiler import SQLCompiler

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
from surveys.versions import WordingChange, wording_changes


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


def surveys_for_listing() -> QuerySet[Survey]:
    return Survey.objects.select_related("wave").order_by("slug")


def open_surveys() -> QuerySet[Survey]:
    return Survey.objects.filter(status=SurveyStatus.OPEN).order_by("id")


def invitation_links(*, survey: Survey) -> list[tuple[str, str]]:
    """``(customer external id, personal URL)`` for each invitation of ``survey``."""
    from surveys.services.links import personal_url

    invitations = (
        Invitation.objects.filter(survey=survey, customer__forgotten_at__isnull=True)
        .select_related("customer")
        .order_by("customer__external_id", "id")
    )
    return [(inv.customer.external_id, personal_url(inv)) for inv in invitations]


# --- customer pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnsweringState:
    """What a personal-link page needs: the invitation with its survey, its response when
    started, and that response's saved answers (``answers.ANSWER_ROW_FIELDS`` dicts), or
    ``None`` when they were not read with it (a database without array subqueries)."""

    invitation: Invitation
    response: Response | None
    answer_rows: list[dict[str, Any]] | None
    # The customer's attributes (``language`` chooses the survey's version), read with it.
    customer_attributes: dict[str, Any] = field(default_factory=dict)


def _answer_rows_column(response_ref: str) -> ArraySubquery:
    return ArraySubquery(
        Answer.objects.filter(response_id=OuterRef(response_ref))
        .order_by("question_id")
        .values(row=JSONObject(**{name: name for name in ANSWER_ROW_FIELDS}))
    )


def _attnames(model: type[Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


_NONCE_MARK = "~nonce~"  # never a real nonce (URL-safe base64 has no "~")


@dataclass(frozen=True)
class _CompiledRead:
    sql: str
    params: tuple[Any, ...]
    nonce_at: int
    compiler: SQLCompiler
    arrays: bool


@functools.cache
def _answering_read(alias: str, vendor: str) -> _CompiledRead:
    """The personal-link read as SQL, compiled by the ORM once per process and database.

    Every customer page request runs this one query; building and compiling it with the ORM on
    each request cost more CPU than the rest of the request's database work (``bench submit``).
    """
    columns = [
        *_attnames(Invitation),
        *(f"survey__{name}" for name in _attnames(Survey)),
        *(f"response__{name}" for name in _attnames(Response)),
        "customer__attributes",
    ]
    query = Invitation.objects.using(alias).filter(nonce=_NONCE_MARK).order_by()
    arrays = vendor == "postgresql"
    if arrays:  # the saved answers as one array column: no second round trip
        query = query.annotate(answer_rows=_answer_rows_column("response__id"))
    query = query.values(*columns, *(["answer_rows"] if arrays else []))[:1]
    compiler = query.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    return _CompiledRead(sql, tuple(params), params.index(_NONCE_MARK), compiler, arrays)


def answering_invitation(*, nonce: str) -> AnsweringState | None:
    """The invitation of ``nonce`` with its survey, response and saved answers: one query on
    PostgreSQL (the answers as an array column), two elsewhere.

    Runs SQL compiled once (``_answering_read``) and builds the model instances with
    ``Model.from_db``, as the ORM does, with the same converters.
    """
    read = _answering_read(connection.alias, connection.vendor)
    params = list(read.params)
    params[read.nonce_at] = nonce
    with connection.cursor() as cursor:
        cursor.execute(read.sql, params)
        fetched = cursor.fetchall()
    if not fetched:
        return None
    row = list(next(iter(read.compiler.results_iter(results=[fetched]))))
    inv_names, survey_names, response_names = (
        _attnames(Invitation),
        _attnames(Survey),
        _attnames(Response),
    )
    a, b = len(inv_names), len(inv_names) + len(survey_names)
    c = b + len(response_names)
    invitation = Invitation.from_db(connection.alias, inv_names, row[:a])
    survey = Survey.from_db(connection.alias, survey_names, row[a:b])
    invitation.survey = survey
    response = None
    if row[b] is not None:  # the response's id: it has been started
        response = Response.from_db(connection.alias, response_names, row[b:c])
        response.survey = survey
        invitation.response = response  # both directions of the one-to-one, cached
    attributes = row[c] if isinstance(row[c], dict) else {}
    rows = (row[c + 1] or []) if read.arrays else None
    return AnsweringState(
        invitation=invitation, response=response, answer_rows=rows, customer_attributes=attributes
    )


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
