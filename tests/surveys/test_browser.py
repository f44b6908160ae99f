"""A customer answers the template survey on a phone, in a real (headless) Chromium."""

from __future__ import annotations

import pytest
from django.utils import timezone

from surveys.models import Response, ResponseStatus

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.surveys.urls")]

AGREEMENT = {
    "like": 5,
    "satisfied": 4,
    "devotion": 4,
    "grateful": 3,
    "would_miss": 2,
    "support": 2,
    "spread": 1,
    "vision": 3,
}


def test_phone_answers_template_survey(live_server, phone_page, transactional_db):
    from engagement.customers.models import Customer
    from surveys import services
    from surveys.models import Wave

    wave = Wave.objects.create(name="2026年下期", starts_on="2026-10-01", ends_on="2027-03-31")
    survey = services.create_template_survey(
        title="お客さまアンケート", brand_name="さくらカフェ", wave=wave, slug="browser"
    )
    services.open_survey(survey=survey)
    customer = Customer.objects.create(external_id="B-1", email="b@example.jp")
    [(invitation, token)] = services.create_invitations(
        survey=survey, customers=[customer], now=timezone.now()
    )
    url = f"{live_server.url}/s/{token}/"
    page = phone_page
    external = []
    page.on(
        "request",
        lambda r: external.append(r.url) if not r.url.startswith(live_server.url) else None,
    )

    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.get_by_text("5ページ中1ページ目").is_visible()
    assert page.get_by_role("radio").count() == 11
    # Sent without an answer: the error is shown next to the question, in Japanese.
    page.get_by_role("button", name="次へ").click()
    error = page.locator("#q-nps-error")
    assert error.inner_text().strip() == "この質問にお答えください。"
    assert page.locator("#q-nps-block").locator("#q-nps-error").count() == 1
    assert page.get_by_role("alert").is_visible()

    assert page.locator("script").count() == 0  # works without JavaScript: there is none
    # Keyboard: the 0–10 scale is one radio group; arrow keys move the choice.
    page.locator("#q-nps-0").focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="1", exact=True).is_checked()
    page.get_by_text("3", exact=True).click()  # the label of the "3" radio button
    assert page.get_by_role("radio", name="3", exact=True).is_checked()
    page.get_by_role("button", name="次へ").click()

    # Conditional question: the detractor wording, not the promoter one.
    assert page.get_by_text("ご期待に沿えず").is_visible()
    assert page.get_by_text("特に気に入って").count() == 0
    reason = "レジが混んでいて😢 ﾃﾞｨｽﾌﾟﾚｲも見にくい　全角スペース"
    page.get_by_role("textbox").fill(reason)
    page.get_by_role("button", name="次へ").click()

    # Awareness page: leave one statement unanswered -> error; then come back later.
    for item, value in AGREEMENT.items():
        if item != "vision":
            page.locator(f"label[for=q-aw_{item}-{value}]").click()
    page.get_by_role("button", name="次へ").click()
    assert page.locator("#q-aw_vision-error").is_visible()
    assert page.locator("#q-aw_like-5").is_checked()  # nothing picked was lost

    # Leave and reopen the link: answers of the finished pages were saved; resume on page 3.
    page.goto("about:blank")
    page.goto(url)
    assert page.get_by_text("5ページ中3ページ目").is_visible()
    page.get_by_role("button", name="戻る").click()
    assert page.get_by_role("textbox").input_value() == reason
    page.get_by_role("button", name="次へ").click()
    for item, value in AGREEMENT.items():
        page.locator(f"label[for=q-aw_{item}-{value}]").click()
    page.get_by_role("button", name="次へ").click()

    page.get_by_text("アプリ", exact=True).click()
    page.get_by_role("button", name="次へ").click()
    assert page.get_by_text("アプリでのご体験に、どの程度満足されましたか").is_visible()
    page.locator("label[for=q-csat-2]").click()
    page.get_by_role("textbox").fill("ポイントカードをアプリに")
    page.get_by_role("button", name="回答を送信する").click()

    assert page.get_by_role("heading", name="ご回答ありがとうございました").is_visible()
    assert external == []  # no third-party resources

    response = Response.objects.get(invitation=invitation)
    assert response.status == ResponseStatus.COMPLETED
    assert response.nps_score == 3 and response.nps_category == "detractor"
    assert response.touchpoint == "app" and response.csat_score == 2
    assert response.answers.get(question__key="reason_detractor").text == reason
    # attachment: 5,4,4,3,2 -> 3.6 -> 65; empathy: 2,1,3 -> 2 -> 25; all: 24/8=3 -> 50
    assert response.attachment_index == pytest.approx(65)
    assert response.empathy_index == pytest.approx(25)
    assert response.awareness_index == pytest.approx(50)

    page.goto(url)
    assert page.get_by_text("すでにご回答いただいています").first.is_visible()
