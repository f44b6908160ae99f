"""Versioning reads: questions worded differently between what two groups of respondents were
asked, so a comparison can say when the wording changed (issue #15, part 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from surveys.models import Question, QuestionWording, Survey, Wave


@dataclass(frozen=True)
class WordingChange:
    """A question whose wording differs between what two groups of respondents were asked."""

    key: str
    before: str
    after: str
    changed_at: datetime | None  # within a survey (a new version); None: between two waves


def wording_changes(*, wave_a: Wave | int, wave_b: Wave | int) -> list[WordingChange]:
    """Questions (by key) worded differently in wave A's surveys than in wave B's, and questions
    reworded while either wave's surveys were answered (earlier versions), in key order."""
    return wording_changes_between(
        surveys_a=Survey.objects.filter(wave=wave_a).values("id"),
        surveys_b=Survey.objects.filter(wave=wave_b).values("id"),
    )


def wording_changes_between(
    *, surveys_a: Any, surveys_b: Any, keys: set[str] | None = None
) -> list[WordingChange]:
    """The same for any two groups of surveys (ids or an id query), optionally only ``keys``."""

    def texts(surveys: Any) -> dict[str, str]:
        rows = Question.objects.filter(survey__in=surveys, archived_at__isnull=True)
        if keys is not None:
            rows = rows.filter(key__in=keys)
        return dict(
            rows.order_by("survey_id", "page__position", "position").values_list("key", "text")
        )

    a, b = texts(surveys_a), texts(surveys_b)
    out = [
        WordingChange(key=key, before=a[key], after=b[key], changed_at=None)
        for key in sorted(a.keys() & b.keys())
        if a[key] != b[key]
    ]
    earlier = QuestionWording.objects.filter(
        Q(question__survey__in=surveys_a) | Q(question__survey__in=surveys_b)
    )
    if keys is not None:
        earlier = earlier.filter(question__key__in=keys)
    for w in earlier.select_related("question").order_by("question__key", "replaced_at", "id"):
        out.append(
            WordingChange(
                key=w.question.key, before=w.text, after=w.question.text, changed_at=w.replaced_at
            )
        )
    return out
