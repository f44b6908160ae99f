"""The four values and aspects in a real browser: the customer page and the dashboard panels."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engagement.customers import valuation
from engagement.customers.models import CustomerValue
from engagement.platform import formatting
from tests.dashboard.conftest import T0
from tests.dashboard.test_values import _valued_customers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_profile_and_segment_panel_in_a_browser(
    build, live_server, desktop_page, django_user_model
):
    django_user_model.objects.create_superuser(username="lead", password="x-secret-99")
    promoters, _detractors = _valued_customers(build)
    valuation.refresh_customer_values(as_of=T0 + timedelta(days=1))
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/customers/{promoters[0].pk}/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "x-secret-99")
    page.click("input[type=submit]")
    page.wait_for_url(f"**/admin/dashboard/customers/{promoters[0].pk}/")
    value = CustomerValue.objects.get(customer=promoters[0])
    clv = page.locator("#value-clv").inner_text()
    assert formatting.yen(value.clv) in clv and "継続確率" in clv
    assert "1 件の紹介" in page.locator("#value-crv").inner_text()
    assert page.locator("#aspect-cognitive").inner_text().count("80") >= 1
    assert "SNS投稿 1" in page.locator("#aspect-social").inner_text()
    page.goto(f"{live_server.url}/admin/dashboard/")
    page.wait_for_function("document.body.dataset.chartsDrawn > 0", timeout=15000)
    panel = page.locator("#panel-aspects_segment")
    assert panel.locator("canvas[data-drawn]").count() == 1
    panel.locator("summary").click()
    rows = panel.locator("tbody tr")
    assert rows.count() == 2
    assert "ゴールド" in rows.nth(0).inner_text() or "ゴールド" in rows.nth(1).inner_text()
    assert page.locator("#panel-values_nps tbody tr").count() == 2
