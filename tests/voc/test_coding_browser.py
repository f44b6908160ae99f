"""In a real browser: the coding page's correspondence-analysis map is drawn by the app's own
Chart.js from a static file (no inline script), without script errors; the item page shows the
clauses with their sentiment in words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from voc.models import CodingRule, FeedbackItem
from voc.services import analyze_items

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coding_page_draws_the_ca_map(live_server, desktop_page):
    now = timezone.now()
    rows = [
        ("値段が高い。店員は親切", "detractor"),
        ("料金が高くて不満", "detractor"),
        ("値段が高いし駐車場が狭い", "detractor"),
        ("店員さんが親切で満足", "promoter"),
        ("店員の笑顔が素敵で満足", "promoter"),
        ("料理が美味しくて満足", "promoter"),
        ("料理は普通。駐車場が狭い", "passive"),
        ("駐車場が狭いけど料理は美味しい", "passive"),
    ] * 3
    items = FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(text=text, channel="survey", received_at=now, nps_category=band)
            for text, band in rows
        ]
    )
    analyze_items(item_ids=[item.id for item in items], assign=False)
    CodingRule.objects.create(name="価格", expression="高い | 値段 | 料金 & !安い")
    User.objects.create_superuser("analyst", "a@example.com", "pw-Coding-2026")
    page = desktop_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")
            and errors.append(f"{response.status} {response.url}")
        ),
    )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/voc/coding/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "pw-Coding-2026")
    page.click("input[type=submit]")
    page.wait_for_selector("#ca-map")
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('ca-map'))"
    )
    points = page.evaluate(
        "() => Chart.getChart(document.getElementById('ca-map')).data.datasets"
        ".map(d => d.data.length)"
    )
    assert points[1] == 3 and points[0] >= 5  # three NPS bands, the frequent words
    assert "価格" in page.inner_text("#coding-table")
    assert errors == []

    # The item page shows the clauses with their labels in words.
    mixed = next(item for item in items if item.text == "駐車場が狭いけど料理は美味しい")
    page.goto(f"{live_server.url}/admin/voc/feedbackitem/{mixed.id}/change/")
    clauses = page.locator(".field-clauses .voc-clause")
    assert clauses.count() == 2
    assert "ネガティブ" in clauses.nth(0).inner_text()
    assert "ポジティブ" in clauses.nth(1).inner_text()
    page.locator(".field-clauses").screenshot(path="/tmp/sent_clauses.png")
    assert errors == []
