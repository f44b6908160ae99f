"""Key drivers: the statement that really drives repeat purchase comes out on top."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.urls import reverse

from engagement.dashboard.drivers import key_drivers
from surveys.filters import AnalysisFilters as Filters
from tests.dashboard.conftest import T0

pytestmark = pytest.mark.django_db
ITEMS = ["like", "satisfied", "devotion", "grateful", "would_miss", "support", "spread", "vision"]


def seed(build, n=160):
    from surveys.models import Answer, Question

    page = build.survey1.pages.create(position=1)
    questions = {
        item: Question.objects.create(
            survey=build.survey1, page=page, position=i, key=item, kind="agreement",
            role="awareness", awareness_item=item, text=item,
        )
        for i, item in enumerate(ITEMS)
    }  # fmt: skip
    rng = random.Random(7)
    answers = []
    for i in range(n):
        c = build.customer()
        values = {item: rng.randint(1, 5) for item in ITEMS}
        r = build.response(c, score=rng.randint(0, 10), awareness=50.0)
        answers += [
            Answer(response=r, question=questions[item], number=value)
            for item, value in values.items()
        ]
        # "would miss it" drives repeat purchase; nothing else matters
        if values["would_miss"] >= 4 or (values["would_miss"] == 3 and i % 2):
            build.behaviour(c, "purchase", T0 + timedelta(days=5), 1000)
        if values["would_miss"] <= 2 and i % 3 == 0:
            build.behaviour(c, "cancellation", T0 + timedelta(days=9))
    Answer.objects.bulk_create(answers)


def test_the_real_driver_comes_out_on_top(build):
    seed(build)
    results = key_drivers(filters=Filters(), seed=1)
    repeat = results["repeat"]
    assert repeat.n == 160 and not repeat.message
    top = repeat.drivers[0]
    assert (
        top.kind == "awareness" and top.name in ("would miss", "なくなると困る")
    ) or "miss" in top.name
    assert top.coefficient > 0 and top.significant
    # the others are small next to it
    assert all(abs(d.coefficient) < top.coefficient / 2 for d in repeat.drivers[1:])
    churn = results["churn"]
    assert churn.drivers[0].coefficient < 0  # missing it more → less churn


def test_not_enough_data_is_said_not_an_error(build, staff_client):
    c = build.customer()
    build.response(c, score=5, awareness=40.0)
    results = key_drivers(filters=Filters(segment="nobody"))
    assert results["repeat"].message and results["repeat"].drivers == []
    response = staff_client.get(reverse("dashboard:drivers") + "?segment=")
    assert response.status_code == 200
    assert "ロジスティック回帰" in response.content.decode()


def test_drivers_page_and_csv(build, staff_client):
    seed(build, n=80)
    response = staff_client.get(reverse("dashboard:drivers"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="drivers-repeat"' in body
    # The method note prints the sample actually used, not only its upper bound.
    used = key_drivers(filters=Filters())["repeat"].n
    assert used > 0
    assert f"最大3,000人）で、今回は{used}人を使用しました" in body
    csv = staff_client.get(reverse("dashboard:drivers-csv")).content.decode("utf-8-sig")
    assert csv.count("\n") > 8
