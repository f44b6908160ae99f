"""The dashboard in a real browser: charts drawn by the app's own Chart.js, a filter applied."""

from __future__ import annotations

import pytest
from django.templatetags.static import static

from engagement.dashboard import services
from tests.dashboard.conftest import promoters_repeat_detractors_churn

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_draws_charts_and_applies_a_filter(
    build, live_server, desktop_page, django_user_model
):
    django_user_model.objects.create_superuser(username="lead", password="x-secret-99")
    promoters_repeat_detractors_churn(build)
    services.refresh_rollups()
    page = desktop_page
    outside = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "x-secret-99")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/dashboard/")
    page.wait_for_function("document.body.dataset.chartsDrawn > 0", timeout=15000)
    chart_src = page.eval_on_selector(
        "script[src*='chart.umd.min.js']", "el => el.getAttribute('src')"
    )
    assert chart_src == static("dashboard/vendor/chart.umd.min.js")
    assert page.evaluate("typeof window.Chart") == "function"
    canvases = page.locator("canvas[data-drawn]").count()
    assert canvases >= 7
    # a chart really has pixels painted
    painted = page.evaluate(
        """() => { const c = document.querySelector('canvas[data-chart="chart-distribution"]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""
    )
    assert painted > 100
    assert outside == []  # nothing loaded from anywhere else (no CDN)
    assert page.locator("#kpi-responses").inner_text() == "40"
    page.select_option("select[name=touchpoint]", "call_center")
    page.click("#dashboard-filters button[type=submit]")
    page.wait_for_url("**touchpoint=call_center**")
    page.wait_for_function("document.body.dataset.chartsDrawn > 0", timeout=15000)
    assert page.locator("#kpi-responses").inner_text() == "20"
    assert page.locator("#kpi-nps").inner_text() == "-100.0"


def test_chart_ticks_and_tooltips_use_japanese_number_formats(
    build, live_server, desktop_page, django_user_model
):
    """Axis ticks and tooltips go through Intl.NumberFormat("ja-JP"): counts with separators,
    yen as ¥22,450, percentages with one decimal."""
    django_user_model.objects.create_superuser(username="lead", password="x-secret-99")
    promoters_repeat_detractors_churn(build)
    services.refresh_rollups()
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "x-secret-99")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/dashboard/")
    page.wait_for_function("document.body.dataset.chartsDrawn > 0", timeout=15000)
    formatted = page.evaluate(
        """() => { const f = window.formatNumberJa;
          return [f(1234567, 'count'), f(22450, 'yen'), f(-1500, 'yen'), f(43.95, 'percent'),
                  f(43954.6, 'decimal1'), f(null, 'count')]; }"""
    )
    assert formatted == ["1,234,567", "¥22,450", "-¥1,500", "44.0%", "43,954.6", ""]
    ticks = page.evaluate(
        """() => {
          const chart = name => document.querySelector(`canvas[data-chart="chart-${name}"]`).chart;
          const distribution = chart('distribution');
          const outcomes = chart('linkage_category');
          const tick = (c, axis, v) =>
              c.options.scales[axis].ticks.callback.call(c.scales[axis], v);
          const label = (c, value) => c.options.plugins.tooltip.callbacks.label(
              {parsed: {x: 0, y: value}, dataset: c.data.datasets[0]});
          return [tick(distribution, 'y', 12000), tick(distribution, 'y', 0.5),
                  tick(outcomes, 'y', 12.5), label(distribution, 1234), label(outcomes, 33.333)];
        }"""
    )
    assert ticks[0] == "12,000"
    assert ticks[1] is None  # no fractional tick on a count axis
    assert ticks[2] == "12.5%"
    assert ticks[3].endswith(": 1,234")
    assert ticks[4].endswith(": 33.3%")
