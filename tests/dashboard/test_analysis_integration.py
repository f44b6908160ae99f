"""On PostgreSQL: the comparison and the crosstab with the JSON attribute filters and
dimensions (store), and a bounded number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engagement.dashboard.analysis import comparison, crosstab
from surveys.filters import AnalysisFilters, filter_choices
from tests.dashboard.test_compare import add_question, answer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_store_sides_and_store_crosstab_on_postgresql(build, django_user_model) -> None:
    assert connection.vendor == "postgresql"
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    csat = add_question(build.survey1, "csat", "rating", "満足度")
    for i in range(40):
        store = "渋谷店" if i % 2 else "梅田店"
        r = build.response(build.customer(attributes={"store": store}), score=10 if i % 2 else 4)
        answer(r, csat, 5 if i % 2 else 2)
    assert ("渋谷店", "渋谷店") in filter_choices()["stores"]
    with CaptureQueriesContext(connection) as queries:
        result = comparison.compare(
            a=AnalysisFilters(store="梅田店"), b=AnalysisFilters(store="渋谷店"), user=user
        )
    # A fixed number whatever the data: counts, NPS and question moments, scale items (their
    # answers and definitions), wording changes (two texts, earlier wordings) and topics.
    assert len(queries) <= 14
    assert (result.n_a, result.n_b) == (20, 20)
    assert result.nps.difference.value == pytest.approx(200)
    assert result.questions[0].difference.value == pytest.approx(3)
    table = crosstab.crosstab(
        rows="attr:store", columns="nps_band", filters=AnalysisFilters(), user=user
    )
    counts = {
        label: [cell.count for cell in line]
        for (_v, label), line in zip(table.row_values, table.cells, strict=True)
    }
    assert [label for _v, label in table.column_values] == ["推奨者", "批判者"]
    assert counts == {"梅田店": [0, 20], "渋谷店": [20, 0]}


def test_matrix_statements_are_counted_on_postgresql(build) -> None:
    """Matrix answers are grouped by their whole JSON value in the database (jsonb)."""
    from engagement.dashboard.analysis import scales
    from surveys.models import Question, Response

    matrix = add_question(build.survey1, "parts", "matrix", "各項目の評価")
    Question.objects.filter(pk=matrix.pk).update(
        settings={"points": 5, "rows": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}
    )
    given = [{"a": 5, "b": 1}, {"a": 5, "b": 1}, {"a": 4, "b": 2}, {"b": 3}]
    for choices in given:
        answer(build.response(build.customer(), score=9), matrix, choices=choices)
    counted = scales.counts(Response.objects.all())
    assert counted["parts:a"] == {5: 2, 4: 1}
    assert counted["parts:b"] == {1: 2, 2: 1, 3: 1}
    [(item_a, score_a), (item_b, _score_b)] = scales.scores(Response.objects.all())
    assert (item_a.code, item_b.code) == ("parts:a", "parts:b")
    assert score_a.mean.value == pytest.approx(14 / 3) and score_a.top_two.value == 1.0


def test_url_parameter_filter_uses_the_gin_index_on_postgresql(build, django_user_model) -> None:
    """A URL-parameter filter is a JSON containment test the GIN index serves; the dashboard,
    which then reads the responses, counts the same responses."""
    from engagement.dashboard.selectors import dashboard
    from surveys.filters import responses
    from surveys.links import LinkSource, PublicLink
    from voc.filters import feedback_items

    assert connection.vendor == "postgresql"
    link = PublicLink.objects.create(
        survey=build.survey1, name="渋谷店", source=LinkSource.STORE, source_value="shibuya"
    )
    for i in range(12):
        r = build.response(build.customer(), score=10 if i % 3 else 2)
        r.url_params = {"store": "shibuya" if i < 9 else "umeda", "order": f"A{i}"}
        r.public_link = link if i % 2 else None
        r.save(update_fields=["url_params", "public_link"])
        build.feedback(r, build.topic(f"話題{i}"))
    filters = AnalysisFilters(params=(("store", "shibuya"),))
    selected = responses(filters)
    assert "@>" in str(selected.query)
    assert selected.count() == 9
    assert feedback_items(filters).count() == 9
    both = AnalysisFilters(params=(("store", "shibuya"),), link_id=link.id)
    assert responses(both).count() == 4  # i = 1, 3, 5, 7
    data = dashboard(filters=both)
    assert data.responses == 4 and data.nps.n == 4
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'response_url_params_gin'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "jsonb_path_ops" in definition
