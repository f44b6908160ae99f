"""The README's newcomer loop on the seeded demo, in a phone-sized Chromium: from the home page's
「お客様として回答してみる」 through the survey, then as CS staff the answer in the inbox, assigned
and replied to (signed with the staff member's display name)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from voc.models import FeedbackItem
from voc.triage.models import Reply, ReplyState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "駐車場の入口が分かりにくく、店の周りを三周してしまいました"
TEXTS = [REASON, "入口に大きな看板があると助かります"]


def _answer_page(page, texts: list[str]) -> None:
    """Answer every question shown: a low score, the middle of each scale, a text."""
    radios = page.locator("input[type=radio]")
    names = []
    for i in range(radios.count()):
        name = radios.nth(i).get_attribute("name")
        if name not in names:
            names.append(name)
    for name in names:
        group = page.locator(f"input[type=radio][name='{name}']")
        pick = group.nth(2 if group.count() == 11 else min(2, group.count() - 1))
        page.locator(f"label[for='{pick.get_attribute('id')}']").first.click()
    checkboxes = page.locator("input[type=checkbox]")
    if checkboxes.count():
        page.locator(f"label[for='{checkboxes.first.get_attribute('id')}']").first.click()
    boxes = page.get_by_role("textbox")
    for i in range(boxes.count()):
        if boxes.nth(i).is_visible():
            boxes.nth(i).fill(texts.pop(0) if texts else "")


def test_newcomer_answers_on_a_phone_then_staff_assign_and_reply(live_server, phone_page, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", customers=120, seed=1, stdout=StringIO())
    call_command("analyze_voc", stdout=StringIO())
    call_command("seed_demo_workflow", stdout=StringIO())
    out = StringIO()
    call_command("ensure_demo_admin", stdout=out)
    password = re.search(r"cs_lead / (\S+)", out.getvalue()).group(1)
    admin_password = re.search(r"Password: (\S+)", out.getvalue()).group(1)

    page = phone_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="お客様として回答してみる").click()
    texts = list(TEXTS)
    for _ in range(8):  # the template survey has five pages
        page.wait_for_load_state()
        if page.get_by_role("heading", name="ご回答ありがとうございました").count():
            break
        _answer_page(page, texts)
        send = page.get_by_role("button", name="回答を送信する")
        (send if send.count() else page.get_by_role("button", name="次へ")).click()
    assert page.get_by_role("heading", name="ご回答ありがとうございました").is_visible()

    item = FeedbackItem.objects.get(text=REASON)
    assert item.customer is not None and item.topic_id is not None

    # CS staff (the lead sees every team's queue) on the same phone.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "cs_lead")
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.get_by_role("link", name="CS受信箱").first.click()
    page.fill("#searchbar", "駐車場")
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    page.locator(f"#result_list a[href*='/{item.id}/change/']").first.click()
    page.wait_for_selector("#id_owner")
    from django.contrib.auth import get_user_model

    lead = get_user_model().objects.get(username="cs_lead")
    page.select_option("#id_owner", value=str(lead.pk))
    page.select_option("#id_state", value="in_progress")
    page.click("input[name=_continue]")
    page.wait_for_selector("#reply-panel")

    page.select_option("#reply-panel select[name=template]", index=1)
    page.click("#reply-panel button[value=template]")
    page.wait_for_selector("#reply-draft textarea[name=body]")
    body = page.input_value("#reply-draft textarea[name=body]")
    assert item.customer.name in body
    page.click("#reply-draft button[value=send]")
    page.wait_for_selector("#reply-panel .triage-note")

    item.refresh_from_db()
    assert item.owner.username == "cs_lead" and item.state == "in_progress"
    reply = Reply.objects.get(item=item)
    assert reply.state in (ReplyState.QUEUED, ReplyState.SENT)
    assert "佐藤 美咲" in reply.body and "cs_lead" not in reply.body

    # As the administrator: the answer reaches the dashboard (after a rebuild) and the saved
    # report ranks the topics.
    from surveys.models import Response

    admin_page = page.context.browser.new_context(
        viewport={"width": 390, "height": 844}, locale="ja-JP"
    ).new_page()
    admin_page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    admin_page.fill("#id_username", "admin")
    admin_page.fill("#id_password", admin_password)
    admin_page.click("input[type=submit]")
    admin_page.get_by_role("link", name="エンゲージメント・ダッシュボード").first.click()
    admin_page.get_by_role("button", name="今すぐ再集計").click()
    admin_page.wait_for_load_state()
    answered = Response.objects.filter(status="completed").count()
    assert admin_page.inner_text("#kpi-responses").replace(",", "") == str(answered)
    admin_page.goto(f"{live_server.url}/admin/")
    admin_page.get_by_role("link", name="改善レポート").first.click()
    admin_page.locator(".reports a[href^='/reports/']").first.click()
    assert admin_page.get_by_role("heading", name="影響度順のトピック").is_visible()
    admin_page.context.close()
