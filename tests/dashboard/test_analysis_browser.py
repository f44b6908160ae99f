"""The crosstab and the comparison in a real browser: answers appear in the table, a view is
saved and opened again from its link."""

from __future__ import annotations

import pytest

from tests.dashboard.test_compare import add_question, answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_answers_appear_in_a_crosstab_and_a_saved_view_reopens_it(
    build, live_server, desktop_page, django_user_model
) -> None:
    from surveys.models import Choice

    django_user_model.objects.create_superuser(username="lead", password="x-secret-99")
    plan = add_question(build.survey1, "plan", "single_choice", "ご利用のプラン")
    Choice.objects.create(question=plan, position=1, value="basic", label="ベーシック")
    Choice.objects.create(question=plan, position=2, value="premium", label="プレミアム")
    for segment, value, count in (("gold", "premium", 12), ("gold", "basic", 3),
                                  ("silver", "basic", 9), ("silver", "premium", 2)):  # fmt: skip
        for _ in range(count):
            r = build.response(build.customer(segment=segment), score=9)
            answer(r, plan, choices=[value])
    for _ in range(5):
        build.response(build.customer(segment="gold"), score=3, survey=build.survey2)

    page = desktop_page
    outside: list[str] = []
    page.on(
        "request",
        lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None,
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/crosstab/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "x-secret-99")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/dashboard/crosstab/")
    assert "行と列に集計する項目を選んでください" in page.content()

    page.select_option("select[name=rows]", "segment")
    page.select_option("select[name=columns]", "q:plan")
    page.click("#crosstab-filters button[type=submit]")
    page.wait_for_url("**rows=segment**")
    table = page.locator("#crosstab-table")
    assert table.locator("thead th").all_inner_texts()[1:3] == ["ベーシック", "プレミアム"]
    gold = table.locator("tbody tr", has_text="gold")
    cells = gold.locator("td.crosstab-cell").all_inner_texts()
    assert cells[0].startswith("3 ") and cells[1].startswith("12 ")
    assert "▲" in cells[1]  # gold customers chose premium more than expected
    assert "(85.7%)" in cells[1]  # 12 of the 14 premium answers
    assert "独立性のカイ二乗検定" in page.locator("#crosstab-summary").inner_text()
    page.screenshot(path="/tmp/aui/crosstab.png", full_page=True)

    page.fill("#save-view-form input[name=name]", "プラン別（セグメント）")
    page.click("#save-view-form button[type=submit]")
    page.wait_for_url("**/admin/dashboard/crosstab/?**")
    assert "ビュー「プラン別（セグメント）」を保存しました。" in page.content()
    page.goto(f"{live_server.url}/admin/dashboard/crosstab/")
    page.click("text=プラン別（セグメント）")
    page.wait_for_url("**columns=q%3Aplan**")
    assert page.locator("#crosstab-table tbody tr", has_text="silver").count() == 1

    # the comparison page: the two waves side by side, small samples flagged
    page.goto(f"{live_server.url}/admin/dashboard/compare/")
    assert page.locator("#compare-n").inner_text() == "回答者数：A 26人、B 5人"
    assert page.locator(".small-sample").count() == 2
    page.screenshot(path="/tmp/aui/compare.png", full_page=True)
    assert page.locator("#compare-table .compare-nps td").first.inner_text().startswith("100.0")
    assert outside == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
