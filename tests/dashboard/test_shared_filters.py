"""One filter set and one figure everywhere: the same query string (a store link, a URL parameter,
a wave, an NPS band) gives the same response count, NPS n and rounded NPS on the dashboard, the
topic list, the report and the CSV exports; a saved view's URL reproduces it on each page."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Permission
from openpyxl import load_workbook

from engagement.dashboard import services as dashboard_services
from engagement.dashboard.models import SavedView
from engagement.reports import services as report_services
from engagement.reports.models import Report
from surveys.filters import AnalysisFilters
from tests.dashboard.conftest import T0

pytestmark = pytest.mark.django_db

PERIOD = (date(2026, 3, 1), date(2026, 4, 30))
# Through the 渋谷店 link with ?store=shibuya: 3 promoters, 2 passives, 2 detractors.
# NPS = (3 − 2) / 7 = 14.2857… → 14.3 on every page (half-up, one decimal).
SHIBUYA_SCORES = (10, 9, 9, 8, 7, 3, 0)


@pytest.fixture
def shop(build, django_user_model):
    from surveys.links import LinkSource, PublicLink, UrlParameter
    from voc.models import FeedbackItem

    UrlParameter.objects.create(survey=build.survey1, key="store")
    link = PublicLink.objects.create(
        survey=build.survey1, name="渋谷店", source=LinkSource.STORE, source_value="shibuya"
    )
    other_link = PublicLink.objects.create(
        survey=build.survey1, name="梅田店", source=LinkSource.STORE, source_value="umeda"
    )
    waiting = build.topic("待ち時間")

    def answered(score, *, via, store, survey=None, at=T0):
        response = build.response(build.customer(segment="gold"), score=score, survey=survey, at=at)
        response.public_link = via
        response.url_params = {"store": store} if store else {}
        response.save(update_fields=["public_link", "url_params"])
        build.feedback(response, waiting, sentiment="negative" if score < 7 else "positive")
        return response

    for i, score in enumerate(SHIBUYA_SCORES):
        answered(score, via=link, store="shibuya", at=T0 + timedelta(hours=i))
    # Not selected: another store's link, the same link with another ?store=, another wave,
    # an answer with no link, and a support inquiry on the topic (no survey answer at all).
    for score in (10, 10, 10):
        answered(score, via=other_link, store="umeda")
    answered(0, via=link, store="umeda")
    answered(10, via=None, store="shibuya", survey=build.survey2)
    answered(10, via=None, store="")
    FeedbackItem.objects.create(
        text="電話がつながらない", channel="support", received_at=T0, topic=waiting
    )
    dashboard_services.refresh_rollups()
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    return build, link, user


def _query(build, link, **extra) -> dict[str, str]:
    return {
        "wave": str(build.wave1.id),
        "link": str(link.id),
        "param_store": "shibuya",
        "date_from": PERIOD[0].isoformat(),
        "date_to": PERIOD[1].isoformat(),
        **extra,
    }


def _csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _report_for(client, query: dict[str, str]) -> Report:
    """Request a report from the report list with the shared filters, then generate it (the
    worker's job)."""
    form = {
        "period_start": query["date_from"],
        "period_end": query["date_to"],
        **{k: v for k, v in query.items() if k not in ("date_from", "date_to")},
    }
    posted = client.post(f"/reports/?{urlencode(query)}", form)
    assert posted.status_code == 302, posted.content.decode()[:2000]
    report = Report.objects.latest("id")
    report_services.generate_report(report_id=report.id)
    report.refresh_from_db()
    return report


@pytest.mark.parametrize(
    ("band", "responses", "n", "nps"),
    [
        ("", 7, 7, "14.3"),  # store link + URL parameter + wave + period
        ("detractor", 2, 2, "-100.0"),  # … and an NPS band
    ],
)
def test_the_same_filters_give_the_same_n_and_nps_on_every_page_and_export(
    shop, client, band, responses, n, nps
) -> None:
    build, link, user = shop
    client.force_login(user)
    query = _query(build, link, **({"nps_band": band} if band else {}))
    qs = urlencode(query)

    # Dashboard: a link and a URL parameter are not in the daily summaries: read from responses.
    page = client.get(f"/admin/dashboard/?{qs}")
    data = page.context["data"]
    assert (data.responses, data.nps.n) == (responses, n)
    html = page.content.decode()
    assert f'<strong id="kpi-nps">{nps}</strong>' in html
    assert f'<span id="kpi-nps-n">{n}</span>' in html
    assert f"参考値（n={n}）" in html  # fewer than 30: marked the same way everywhere

    # Dashboard CSV export (the summary panel).
    (row,) = _csv(client.get(f"/admin/dashboard/csv/summary/?{qs}"))
    assert (row["回答数"], row["n"], row["NPS"]) == (str(responses), str(n), nps)

    # Topic list: the same headline and the topic counted over the same items.
    topics = client.get(f"/admin/voc/topics/?{qs}")
    figures = topics.context["figures"]
    assert (figures.responses, figures.nps.n) == (responses, n)
    listed = topics.content.decode()
    assert f'<strong id="figure-nps">{nps}</strong>' in listed
    assert f'<span id="figure-nps-n">{n}</span>' in listed
    (topic_row,) = [r for r in topics.context["rows"] if r["topic"].name == "待ち時間"]
    assert topic_row["count"] == responses  # the support inquiry and other stores drop out
    assert f"{topic_row['nps']:.1f}" == nps and topic_row["nps_responses"] == n
    # … and the topic's page, opened from the list, lists the same items.
    detail_url = f"/admin/voc/topics/{topic_row['topic'].id}/?{topics.context['query_string']}"
    assert detail_url.replace("&", "&amp;") in listed
    assert client.get(detail_url).context["item_count"] == responses

    # Report list (live) and a report generated for the same filters (stored snapshot).
    listing = client.get(f"/reports/?{qs}")
    assert (listing.context["figures"].responses, listing.context["figures"].nps.n) == (
        responses,
        n,
    )
    report = _report_for(client, query)
    totals = report.data["totals"]
    assert (totals["responses"], totals["nps"]["n"], totals["nps"]["nps"]) == (
        responses,
        n,
        float(nps),
    )
    detail = client.get(f"/reports/{report.id}/").content.decode()
    assert f'<span id="report-nps">{nps}</span>' in detail
    assert f'<span id="report-nps-n">{n}</span>' in detail
    assert f"参考値（n={n}）" in detail
    assert "渋谷店" in detail  # the scope names the link
    # Its Excel export: the summary sheet carries the same figures.
    xlsx = client.get(f"/reports/{report.id}/export.xlsx")
    summary = dict(
        list(load_workbook(io.BytesIO(xlsx.content)).worksheets[-1].iter_rows(values_only=True))[1:]
    )
    assert (summary["回答数"], summary["n"], summary["NPS"]) == (responses, n, float(nps))
    assert summary["サンプル少"] == f"参考値（n={n}）"
    # The report list filtered the same way lists this report.
    assert report in client.get(f"/reports/?{qs}").context["reports"]


def test_without_response_only_filters_the_summaries_and_the_responses_agree(shop, client):
    """A wave alone is served by the daily summaries; the topic list and the report read the
    responses: the same n and NPS."""
    build, _link, user = shop
    client.force_login(user)
    qs = urlencode({"wave": build.wave1.id})
    data = client.get(f"/admin/dashboard/?{qs}").context["data"]
    assert not AnalysisFilters(wave_id=build.wave1.id).needs_responses
    figures = client.get(f"/admin/voc/topics/?{qs}").context["figures"]
    # 7 + 3 + 1 + 1 responses in wave 1 (the one without a link too)
    assert data.responses == figures.responses == 12
    assert data.nps.n == figures.nps.n == 12
    assert round(data.nps.nps, 6) == round(figures.nps.nps, 6)


def test_a_saved_view_reproduces_the_filters_on_every_page(shop, client) -> None:
    build, link, user = shop
    client.force_login(user)
    query = _query(build, link, nps_band="detractor", window="30")
    expected = AnalysisFilters(
        wave_id=build.wave1.id,
        link_id=link.id,
        params=(("store", "shibuya"),),
        date_from=PERIOD[0],
        date_to=PERIOD[1],
        nps_band="detractor",
        window_days=30,
    )
    pages = {
        "dashboard": ("/admin/dashboard/", lambda r: r.context["form"].filters()),
        "topics": ("/admin/voc/topics/", lambda r: r.context["form"].filters()),
        "reports": ("/reports/", lambda r: r.context["shared_form"].filters()),
        "crosstab": (
            "/admin/dashboard/crosstab/",
            lambda r: r.context["filter_form"].filters(),
        ),
    }
    for page, (path, filters_of) in pages.items():
        saved = client.post(
            "/admin/dashboard/views/save/",
            {"name": f"渋谷の批判者 {page}", "page": page, "query": urlencode(query)},
        )
        assert saved.status_code == 302
        view = SavedView.objects.get(page=page)
        opened = client.get(f"/admin/dashboard/views/{view.pk}/")
        assert opened["Location"].startswith(f"{path}?")
        shown = client.get(opened["Location"])
        assert shown.status_code == 200
        found = filters_of(shown)
        if page == "crosstab":  # no behaviour window on the crosstab
            assert found == AnalysisFilters(**{**expected.__dict__, "window_days": 90})
        else:
            assert found == expected, page
        assert f"渋谷の批判者 {page}" in shown.content.decode()  # listed on its own page


def test_a_product_role_without_the_dashboard_sees_the_filters_but_no_saved_views(
    shop, client, django_user_model
) -> None:
    build, link, _user = shop
    viewer = django_user_model.objects.create_user(
        username="pm", password="pw-1234567", is_staff=True
    )
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_topic", "view_report"])
    )
    client.force_login(viewer)
    page = client.get(f"/admin/voc/topics/?{urlencode(_query(build, link))}")
    assert page.status_code == 200
    assert page.context["form"].filters().link_id == link.id
    assert 'id="saved-views"' not in page.content.decode()
