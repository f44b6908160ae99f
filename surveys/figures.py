"""One definition per figure, shared by the dashboard, the reports, the topic pages and the
exports: the same filter gives the same n, the same rate and the same rounding everywhere.

- NPS with its n (responses with an NPS answer) and 95% interval: ``nps_of`` (a queryset of
  responses, one query) or ``nps_from_counts`` (counts already added up, e.g. the dashboard's
  daily summaries); shown to ``NPS_DIGITS`` decimal (half-up, ``formatting.rounded``).
- Response count: ``response_count``.
- Shares and rates (topic share, repeat and churn rate): percent of a count, to
  ``SHARE_DIGITS`` decimal (``share``).
- A figure from fewer than ``statistics.SMALL_SAMPLE`` answers is shown, marked
  「参考値（n=…）」 (``reference``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from engagement.platform.formatting import reference_label, rounded
from engagement.platform.statistics import SMALL_SAMPLE
from surveys import scoring
from surveys.models import NpsCategory, Response

NPS_DIGITS = 1
SHARE_DIGITS = 1


def nps_from_counts(counts: Mapping[str, int]) -> scoring.NpsEstimate:
    """NPS of counts keyed ``promoter``/``passive``/``detractor`` (or their plurals)."""

    def get(name: str) -> int:
        return int(counts.get(name, 0) or counts.get(f"{name}s", 0) or 0)

    return scoring.nps_estimate(
        promoters=get("promoter"), passives=get("passive"), detractors=get("detractor")
    )


def nps_of(responses: QuerySet[Response]) -> scoring.NpsEstimate:
    """NPS of the completed responses in ``responses`` (one query)."""
    from surveys.selectors import nps_summary

    return nps_summary(responses)


def response_count(responses: QuerySet[Response]) -> int:
    return responses.count()


@dataclass(frozen=True)
class ResponseFigures:
    """The headline of a filtered page: responses, and the NPS with its n."""

    responses: int
    nps: scoring.NpsEstimate

    @property
    def shown_nps(self) -> float | None:
        return shown_nps(self.nps.nps)

    @property
    def reference(self) -> str:
        return reference(self.nps.n)


def response_figures(responses: QuerySet[Response]) -> ResponseFigures:
    """Response count and NPS of (completed) ``responses`` in one query."""
    row = responses.aggregate(
        n=Count("pk"),
        promoters=Count("pk", filter=Q(nps_category=NpsCategory.PROMOTER)),
        passives=Count("pk", filter=Q(nps_category=NpsCategory.PASSIVE)),
        detractors=Count("pk", filter=Q(nps_category=NpsCategory.DETRACTOR)),
    )
    return ResponseFigures(responses=row.pop("n"), nps=scoring.nps_estimate(**row))


def shown_nps(value: float | None) -> float | None:
    """An NPS as every page shows it."""
    return rounded(value, NPS_DIGITS)


def share(count: float | None, total: float | None) -> float | None:
    """``count`` as a percentage of ``total``, as every page shows it (None: no data)."""
    if not total or count is None:
        return None
    return rounded(100 * count / total, SHARE_DIGITS)


def is_small(n: int) -> bool:
    return n < SMALL_SAMPLE


def reference(n: int) -> str:
    """「参考値（n=…）」 for a figure from a small sample, else ""."""
    return reference_label(n) if n and is_small(n) else ""


def nps_figure(estimate: scoring.NpsEstimate) -> dict[str, Any] | None:
    """The NPS as stored in a report and written to an export (None: no answers)."""
    if estimate.n <= 0 or estimate.nps is None:
        return None
    return {
        "n": estimate.n,
        "promoters": estimate.promoters,
        "detractors": estimate.detractors,
        "nps": shown_nps(estimate.nps),
        "ci_low": shown_nps(estimate.ci_low),
        "ci_high": shown_nps(estimate.ci_high),
        "small_sample": is_small(estimate.n),
    }
