"""A CS agent triages an item end to end in a real browser: filter, assign, note, reply."""

from __future__ import annotations

import pytest

from voc.triage.models import Note, Reply, ReplyState, TriageEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_triages_an_item_end_to_end(live_server, desktop_page, world, mailoutbox):
    page = desktop_page
    item = world["item_a"]
    page.goto(f"{live_server.url}/admin/login/?next=/admin/voc/feedbackitem/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", "pw-Triage-2026")
    page.click("input[type=submit]")

    # Filter: state "new", then search by word.
    page.click("#changelist-filter a[href*='state__exact=new']")
    page.fill("#searchbar", "解約")
    page.press("#searchbar", "Enter")
    page.wait_for_load_state()
    assert "state__exact=new" in page.url and "q=" in page.url
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    rows.first.locator("a").first.click()

    # The item page: the customer's context is right there.
    page.wait_for_selector("#customer-panel")
    assert world["customer"].segment in page.inner_text("#customer-panel")

    # Assign to myself and start working on it.
    page.select_option("#id_owner", label="agent")
    page.select_option("#id_state", value="in_progress")
    page.click("input[name=_continue]")
    page.wait_for_selector("#notes-panel")

    # An internal note mentioning the lead.
    page.fill("#new-note textarea[name=body]", "@lead 解約手続きの案内を確認中です")
    page.click("#new-note button[type=submit]")
    page.wait_for_selector(".triage-note .body")
    assert "解約手続きの案内を確認中です" in page.inner_text("#notes-panel")

    # Reply from a template, edit the draft, send it.
    page.select_option("#reply-panel select[name=template]", label="お詫び（ご不便）")
    page.click("#reply-panel button[value=template]")
    page.wait_for_selector("#reply-draft textarea[name=body]")
    body = page.input_value("#reply-draft textarea[name=body]")
    assert body.startswith(world["customer"].name + "様")
    page.fill("#reply-draft textarea[name=body]", body + "\n担当：agent")
    page.click("#reply-draft button[value=send]")
    page.wait_for_selector("#reply-panel .triage-note")
    assert "担当：agent" in page.inner_text("#reply-panel")
    assert "担当者変更" in page.inner_text("#audit-panel")

    item.refresh_from_db()
    assert item.owner == world["agent"] and item.state == "in_progress"
    assert Note.objects.filter(item=item, mentions=world["lead"]).exists()
    reply = Reply.objects.get(item=item)
    assert reply.state == ReplyState.SENT and reply.body.endswith("担当：agent")
    assert TriageEvent.objects.filter(item=item, actor=world["agent"]).count() >= 4
    addresses = [m.to for m in mailoutbox]
    assert [world["customer"].email] in addresses  # the reply
    assert ["lead@staff.example.jp"] in addresses  # the mention
