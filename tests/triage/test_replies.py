"""Closing the loop: template replies in 敬語, sent once, only to contactable customers;
"we heard you" messages with a recipient preview."""

from __future__ import annotations

import pytest

from engagement.platform.errors import Conflict, DomainError
from voc.models import Topic
from voc.triage import services
from voc.triage.models import Alert, AlertKind, HeardYouCampaign, Reply, ReplyState, ReplyTemplate

from .conftest import make_customer, make_item

pytestmark = pytest.mark.django_db


def test_draft_from_template_fills_placeholders_in_polite_japanese(world):
    template = ReplyTemplate.objects.get(name="お詫び（ご不便）")  # created by the migration
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=world["agent"], template_id=template.id
    )
    customer = world["customer"]
    assert draft.state == ReplyState.DRAFT
    assert draft.body.startswith(f"{customer.name}様")
    assert "誠にありがとうございます" in draft.body and "お詫び申し上げます" in draft.body
    assert "{" not in draft.body and "{" not in draft.subject
    assert "解約したいのですが" in draft.body  # the feedback excerpt
    # Editing keeps one draft per item.
    edited = services.save_reply_draft(
        item_id=world["item_a"].id, actor=world["agent"], subject="件名", body="本文です"
    )
    assert edited.id == draft.id and Reply.objects.filter(item=world["item_a"]).count() == 1


def test_placeholders_cannot_reach_attributes():
    assert (
        services.replies.fill_placeholders("{a.__class__} {a} {b}", {"a": "x"})
        == "{a.__class__} x {b}"
    )


def test_send_reply_once_by_email_and_store_it(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=world["agent"], subject="ご連絡", body="本文"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.send_reply(reply_id=draft.id, actor=world["agent"])
    with pytest.raises(Conflict):
        services.send_reply(reply_id=draft.id, actor=world["agent"])  # a double submit
    draft.refresh_from_db()
    assert draft.state == ReplyState.SENT and draft.sent_at and draft.sent_by == world["agent"]
    assert [m.to for m in mailoutbox] == [[world["customer"].email]]
    assert mailoutbox[0].body == "本文"


def test_no_reply_without_contact_permission(world, mailoutbox):
    customer = make_customer(contact_allowed=False)
    item = make_item(customer=customer, team=world["team_a"])
    with pytest.raises(DomainError) as caught:
        services.save_reply_draft(item_id=item.id, actor=world["agent"], subject="a", body="b")
    assert caught.value.code == "contact_not_allowed"
    assert not Reply.objects.filter(item=item).exists()


def test_withdrawn_permission_stops_a_queued_reply(world, mailoutbox):
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=world["agent"], subject="a", body="b"
    )
    services.send_reply(
        reply_id=draft.id, actor=world["agent"]
    )  # commit hook not run: still queued
    world["customer"].contact_allowed = False
    world["customer"].save()
    assert services.deliver_reply(reply_id=draft.id) is False
    draft.refresh_from_db()
    assert draft.state == ReplyState.FAILED and not mailoutbox


def test_reply_through_the_item_page(client, world, django_capture_on_commit_callbacks, mailoutbox):
    client.force_login(world["agent"])
    url = f"/admin/triage/items/{world['item_a'].id}/reply/"
    template = ReplyTemplate.objects.get(name="お礼（ご意見）")
    client.post(url, {"do": "template", "template": template.id})
    draft = Reply.objects.get(item=world["item_a"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "do": "send",
                "reply": draft.id,
                "subject": draft.subject,
                "body": draft.body + "\n追記",
            },
        )
        client.post(
            url, {"do": "send", "reply": draft.id, "subject": "x", "body": "y"}
        )  # double submit
    assert len(mailoutbox) == 1 and mailoutbox[0].body.endswith("追記")
    page = client.get(f"/admin/voc/feedbackitem/{world['item_a'].id}/change/").content.decode()
    assert "追記" in page and "送信済み" in page
    # The other team's item cannot be replied to.
    assert (
        client.post(
            f"/admin/triage/items/{world['item_b'].id}/reply/", {"do": "template"}
        ).status_code
        == 404
    )


def test_heard_you_preview_and_send_once(world, django_capture_on_commit_callbacks, mailoutbox):
    topic = world["topic"]  # item_a and item_b are in it; both customers allow contact
    make_item(topic=topic, customer=make_customer(contact_allowed=False))
    make_item(topic=topic, customer=world["customer"])  # a second item: one message only
    make_item(topic=Topic.objects.create(name="別"), customer=make_customer())
    recipients = list(services.heard_you_recipients(topic_ids=[topic.id]))
    assert {c.id for c in recipients} == {world["customer"].id, world["item_b"].customer_id}
    with django_capture_on_commit_callbacks(execute=True):
        campaign = services.send_heard_you(
            topic_ids=[topic.id],
            message="アプリの解約手続きを簡単にしました。",
            actor=world["lead"],
        )
        again = services.send_heard_you(
            topic_ids=[topic.id],
            message="アプリの解約手続きを簡単にしました。",
            actor=world["lead"],
        )
    assert campaign.was_created and not again.was_created and again.id == campaign.id
    assert campaign.recipients == 2 and HeardYouCampaign.objects.count() == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(c.email for c in recipients)
    assert all("様" in m.body and "解約手続きを簡単にしました" in m.body for m in mailoutbox)
    assert Alert.objects.filter(kind=AlertKind.HEARD_YOU, state="sent").count() == 2
    with pytest.raises(DomainError):
        services.send_heard_you(topic_ids=[], message="x", actor=None)


def test_heard_you_page_needs_the_permission(client, world):
    client.force_login(world["agent"])
    assert client.get("/admin/triage/heard-you/").status_code == 403
    client.force_login(world["lead"])
    page = client.post(
        "/admin/triage/heard-you/",
        {"topics": [world["topic"].id], "message": "改善しました", "do": "preview"},
    )
    assert page.status_code == 200
    assert 'id="recipient-count"' in page.content.decode()
    assert world["customer"].external_id in page.content.decode()
