"""The builder in a real Chromium: staff build a survey with branching (desktop, 1366×768),
reorder by keyboard buttons and by drag, preview it in the phone frame, take it through the test
link (not counted); customers then answer it on a phone (390×844) through each branch, and staff
see their answers in a crosstab."""

from __future__ import annotations

import pytest

from surveys import services
from surveys.models import Page, Question, Response, ResponseStatus, Wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AWARENESS = [
    "like",
    "satisfied",
    "devotion",
    "grateful",
    "would_miss",
    "support",
    "spread",
    "vision",
]


def _order(survey, position):
    return list(
        Question.objects.filter(survey=survey, page__position=position, archived_at__isnull=True)
        .order_by("position")
        .values_list("key", flat=True)
    )


def test_build_preview_test_and_answer_each_branch(
    live_server, desktop_page, phone_page, django_user_model
):
    django_user_model.objects.create_superuser(username="builder", password="x-secret-99")
    wave = Wave.objects.create(name="2027年上期", starts_on="2027-04-01", ends_on="2027-09-30")
    survey = services.create_template_survey(
        title="ビルダーテスト", brand_name="さくらカフェ", wave=wave, slug="builder-browser"
    )
    base = live_server.url
    staff = desktop_page
    staff.set_viewport_size({"width": 1366, "height": 768})
    outside: list[str] = []
    staff.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    staff.goto(f"{base}/admin/login/?next=/admin/surveys/survey/{survey.pk}/builder/")
    staff.fill("#id_username", "builder")
    staff.fill("#id_password", "x-secret-99")
    staff.click("input[type=submit]")
    staff.wait_for_url(f"**/admin/surveys/survey/{survey.pk}/builder/")
    assert staff.locator("#builder-ok").is_visible()  # the template is valid as it is

    # A page break with a number question, shown only for ?src=store.
    staff.get_by_role("button", name="ページを追加（改ページ）").click()
    page6 = Page.objects.get(survey=survey, position=6)
    assert staff.locator("#builder-problems").inner_text().count("ページ6") == 1  # empty page
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/builder/questions/add/?page={page6.id}")
    staff.select_option("#id_kind", "number")
    staff.fill("#id_key", "visits")
    staff.fill("#id_text", "この1か月で何回ご来店されましたか。")
    staff.fill("#id_help_text", "0〜99の数字でご記入ください。")
    staff.fill("#id_minimum", "0")
    staff.fill("#id_maximum", "99")
    staff.click("input[type=submit][value=保存]")
    staff.wait_for_url(f"**/survey/{survey.pk}/builder/")
    assert staff.locator("#bq-visits").is_visible()
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/builder/pages/{page6.id}/")
    staff.fill("#id_c_param", "src")
    staff.fill("#id_c_param_value", "store")
    staff.click("input[type=submit][value=保存]")
    staff.wait_for_url(f"**/survey/{survey.pk}/builder/")

    # Branch: detractors (NPS 0–6) skip from page 1 to the touchpoint page.
    page1, page4 = (Page.objects.get(survey=survey, position=n) for n in (1, 4))
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/builder/pages/{page1.id}/")
    staff.select_option("#id_j1_question", "nps")
    staff.check("input[name=j1_nps][value=detractor]")
    staff.select_option("#id_j1_goto", str(page4.id))
    staff.click("input[type=submit][value=保存]")
    staff.wait_for_url(f"**/survey/{survey.pk}/builder/")
    page1.refresh_from_db()
    assert page1.jumps == [
        {"if": {"question": "nps", "nps_category": ["detractor"]}, "goto": page4.id}
    ]

    # A condition on a later question is refused with a Japanese message; nothing saved.
    nps = Question.objects.get(survey=survey, key="nps")
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/builder/questions/{nps.id}/")
    staff.select_option("#id_c_question", "csat")
    staff.fill("#id_c_min", "1")
    staff.click("input[type=submit][value=保存]")
    assert "後にある質問「csat」" in staff.locator(".errornote").inner_text()
    nps.refresh_from_db()
    assert nps.show_if == {}

    # Reorder: the keyboard path (下へ button), then drag and drop.
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/builder/")
    staff.get_by_role("button", name="aw_likeを下へ移動").focus()
    with staff.expect_navigation():
        staff.keyboard.press("Enter")
    assert _order(survey, 3)[:2] == ["aw_satisfied", "aw_like"]
    with staff.expect_navigation():
        staff.drag_and_drop("#bq-aw_vision", "#bq-aw_satisfied", target_position={"x": 5, "y": 3})
    assert _order(survey, 3)[0] == "aw_vision"
    assert staff.locator("#bq-aw_vision").is_visible()

    # Preview any page: page 6 in the phone frame, then desktop size.
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/preview/?page=6&size=phone")
    frame = staff.locator("#preview-frame.preview-phone")
    assert frame.is_visible() and frame.bounding_box()["width"] <= 390
    assert staff.get_by_label("この1か月で何回ご来店されましたか。").is_visible()
    assert staff.get_by_role("button", name="回答を送信する").is_disabled()
    staff.get_by_role("link", name="デスクトップ（1366×768）").click()
    assert staff.locator("#preview-frame.preview-desktop").bounding_box()["width"] > 390

    # Test link on the draft: the detractor branch, marked as a test.
    staff.goto(f"{base}/admin/surveys/survey/{survey.pk}/test/")
    assert staff.locator("#staff-banner").is_visible()
    staff.locator("label[for=q-nps-3]").click()
    staff.get_by_role("button", name="次へ").click()
    assert staff.get_by_role("radio", name="アプリ").is_visible()  # pages 2–3 skipped
    staff.get_by_role("radio", name="アプリ").check()
    staff.get_by_role("button", name="次へ").click()
    staff.locator("label[for=q-csat-2]").click()
    staff.get_by_role("button", name="回答を送信する").click()
    assert staff.get_by_role("heading", name="ご回答ありがとうございました").is_visible()
    test = Response.objects.get(survey=survey, is_test=True)
    assert test.status == ResponseStatus.TEST_DONE
    assert not test.answers.filter(question__page__position__in=[2, 3]).exists()
    assert outside == []

    # Customers, on a phone, through the public link.
    services.open_survey(survey=survey)
    token = services.enable_public_link(survey=survey)
    customer = phone_page

    # Promoter from the store: every page, including the store-only page 6.
    customer.goto(f"{base}/p/{token}/?src=store")
    customer.locator("label[for=q-nps-9]").click()
    customer.get_by_role("button", name="次へ").click()
    customer.get_by_role("textbox").fill("店員さんが親切です")
    customer.get_by_role("button", name="次へ").click()
    for item in AWARENESS:
        customer.locator(f"label[for=q-aw_{item}-4]").click()
    customer.get_by_role("button", name="次へ").click()
    customer.get_by_role("radio", name="店舗").check()
    customer.get_by_role("button", name="次へ").click()
    customer.locator("label[for=q-csat-5]").click()
    customer.get_by_role("button", name="次へ").click()  # not the last page: page 6 follows
    customer.get_by_label("この1か月で何回ご来店されましたか。").fill("150")
    customer.get_by_role("button", name="回答を送信する").click()
    assert customer.locator("#q-visits-error").inner_text().strip() == (
        "0から99までの整数でご記入ください。"
    )
    customer.get_by_label("この1か月で何回ご来店されましたか。").fill("4")
    customer.get_by_role("button", name="回答を送信する").click()
    assert customer.get_by_role("heading", name="ご回答ありがとうございました").is_visible()
    promoter = Response.objects.get(survey=survey, status=ResponseStatus.COMPLETED)
    assert promoter.url_params == {"src": "store"}
    assert promoter.answers.get(question__key="visits").number == 4
    assert promoter.answers.count() == 1 + 1 + 8 + 1 + 1 + 1

    # Detractor without the parameter: pages 2–3 skipped, page 6 not shown.
    customer.context.clear_cookies()
    customer.goto(f"{base}/p/{token}/")
    customer.locator("label[for=q-nps-2]").click()
    customer.get_by_role("button", name="次へ").click()
    customer.locator("label[for=q-touchpoint-web]").click()
    customer.get_by_role("button", name="次へ").click()
    customer.locator("label[for=q-csat-1]").click()
    customer.get_by_role("button", name="回答を送信する").click()
    assert customer.get_by_role("heading", name="ご回答ありがとうございました").is_visible()
    done = Response.objects.filter(survey=survey, status=ResponseStatus.COMPLETED)
    assert done.count() == 2  # the staff test is not among them
    detractor = done.exclude(id=promoter.id).get()
    assert detractor.nps_category == "detractor" and detractor.awareness_index is None
    assert set(detractor.answers.values_list("question__key", flat=True)) == {
        "nps",
        "touchpoint",
        "csat",
    }

    # Staff see both branches' answers in a crosstab (the staff test is not counted).
    staff.goto(f"{base}/admin/dashboard/crosstab/")
    staff.select_option("select[name=rows]", "q:csat")
    staff.select_option("select[name=columns]", "nps_band")
    staff.click("#crosstab-filters button[type=submit]")
    staff.wait_for_url("**rows=q%3Acsat**")
    table = staff.locator("#crosstab-table")
    columns = table.locator("thead th").all_inner_texts()
    assert columns[1:3] == ["推奨者", "批判者"]
    rows = {
        row.locator("th").inner_text(): row.locator("td.crosstab-cell").all_inner_texts()
        for row in table.locator("tbody tr").all()
    }
    assert set(rows) == {"1", "5"}  # the detractor's CSAT 1 and the promoter's 5; not the test's 2
    assert rows["5"][0].startswith("1 ") and rows["1"][1].startswith("1 ")
    means = table.locator("tr.crosstab-mean td").all_inner_texts()
    assert means[0].startswith("5.00") and means[1].startswith("1.00")
    assert staff.locator("#crosstab-summary").inner_text().startswith("回答者2人。")
