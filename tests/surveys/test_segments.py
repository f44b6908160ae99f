"""Segments: customers picked by behaviour, NPS history, opt-in, store and segment; churned
customers left out by default; the admin shows the count and a sample, then invites them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from engagement.customers.models import BehaviourRecord, Customer
from surveys.models import Invitation, Response
from surveys.segments import Segment, customers_in, preview
from surveys.services.segments import invite_segment

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

NOW = timezone.now()


def buy(customer, days_ago, amount=5000, **attributes):
    BehaviourRecord.objects.create(
        customer=customer,
        kind_id="purchase",
        occurred_at=NOW - dt.timedelta(days=days_ago),
        amount=amount,
        attributes=attributes,
    )


def cancel(customer, days_ago):
    BehaviourRecord.objects.create(
        customer=customer, kind_id="cancellation", occurred_at=NOW - dt.timedelta(days=days_ago)
    )


def answered(survey, customer, score, category, days_ago=5):
    Response.objects.create(
        survey=survey,
        customer=customer,
        status="completed",
        submitted_at=NOW - dt.timedelta(days=days_ago),
        nps_score=score,
        nps_category=category,
    )


def person(external_id, **kwargs):
    values = {
        "name": f"顧客{external_id}",
        "email": f"{external_id.lower()}@example.jp",
        "contact_allowed": True,
        "segment": "gold",
    }
    return Customer.objects.create(external_id=external_id, **{**values, **kwargs})


@pytest.fixture
def people(survey):
    recent = person("RECENT", attributes={"store": "shibuya"})
    buy(recent, 10, 7000)
    buy(recent, 40, 5000)
    answered(survey, recent, 9, "promoter")
    lapsed = person("LAPSED", segment="silver")
    buy(lapsed, 200, 3000, store="shinjuku")
    answered(survey, lapsed, 8, "passive", days_ago=300)
    answered(survey, lapsed, 3, "detractor", days_ago=100)  # the latest answer counts
    churned = person("CHURNED")
    buy(churned, 100, 20000)
    cancel(churned, 50)
    came_back = person("CAMEBACK")
    cancel(came_back, 60)
    buy(came_back, 20, 1000)
    no_mail = person("NOMAIL", contact_allowed=False)
    buy(no_mail, 5)
    never = person("NEVER")
    return {
        "recent": recent,
        "lapsed": lapsed,
        "churned": churned,
        "came_back": came_back,
        "no_mail": no_mail,
        "never": never,
    }


def ids(segment, people):
    names = {c.id: n for n, c in people.items()}
    return sorted(names[c.id] for c in customers_in(segment, now=NOW))


def test_defaults_leave_out_churned_and_those_without_e_mail(people):
    assert ids(Segment(), people) == ["came_back", "lapsed", "never", "recent"]
    assert "churned" in ids(Segment(include_churned=True), people)
    assert "no_mail" in ids(Segment(channels=()), people)


def test_behaviour_rules(people):
    assert ids(Segment(purchased_within_days=30), people) == ["came_back", "recent"]
    assert ids(Segment(no_purchase_for_days=90), people) == ["lapsed", "never"]
    assert ids(Segment(min_spend=10000), people) == ["recent"]
    assert ids(Segment(max_spend=3000), people) == ["came_back", "lapsed", "never"]
    assert ids(Segment(buyers="repeat"), people) == ["recent"]
    assert ids(Segment(buyers="none"), people) == ["never"]
    assert ids(Segment(buyers="one"), people) == ["came_back", "lapsed"]


def test_nps_history_store_and_segment(people):
    assert ids(Segment(nps=("detractor",)), people) == ["lapsed"]
    assert ids(Segment(nps=("promoter", "never")), people) == ["came_back", "never", "recent"]
    # Store: the customer's own store, or where they bought.
    assert ids(Segment(store="shibuya"), people) == ["recent"]
    assert ids(Segment(store="shinjuku"), people) == ["lapsed"]
    assert ids(Segment(segment="silver"), people) == ["lapsed"]


def test_preview_counts_and_samples_most_recent_buyers_first(people, survey):
    Invitation.objects.create(survey=survey, customer=people["recent"], nonce="n" * 24)
    result = preview(segment=Segment(), survey_id=survey.id, now=NOW)
    assert result.count == 4 and result.already_invited == 1
    assert [c.external_id for c in result.sample] == ["RECENT", "CAMEBACK", "LAPSED", "NEVER"]
    assert result.sample[0].spend_year == 12000 and result.sample[0].purchase_count == 2


def test_invite_segment_is_idempotent(people, survey):
    assert invite_segment(survey=survey, segment=Segment(), now=NOW) == 4
    assert invite_segment(survey=survey, segment=Segment(), now=NOW) == 0
    assert not Invitation.objects.filter(customer=people["churned"]).exists()


def test_admin_preview_then_invite(admin_client, people, survey):
    url = f"/admin/surveys/survey/{survey.pk}/segment/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "segment-preview" not in page.content.decode()
    page = admin_client.get(url, {"channels": "email", "buyers": "repeat"})
    html = page.content.decode()
    assert "このセグメントの顧客は 1 名です" in html
    assert "RECENT" in html and "顧客RECENT" in html and "12,000" in html
    done = admin_client.post(url, {"channels": "email", "buyers": "repeat"}, follow=True)
    assert "1 名を招待しました" in done.content.decode()
    assert list(Invitation.objects.values_list("customer__external_id", flat=True)) == ["RECENT"]


def test_admin_refuses_bad_ranges_in_japanese(admin_client, people, survey):
    url = f"/admin/surveys/survey/{survey.pk}/segment/"
    page = admin_client.post(url, {"min_spend": "5000", "max_spend": "100"})
    assert "上限は下限以上にしてください。" in page.content.decode()
    assert not Invitation.objects.exists()


def test_segment_page_needs_the_invite_permission(client, survey):
    from django.contrib.auth.models import User

    staff = User.objects.create_user("viewer2", password="pw-Seg-2026-xx", is_staff=True)
    client.force_login(staff)
    assert client.get(f"/admin/surveys/survey/{survey.pk}/segment/").status_code == 403


def test_channel_opt_in(people):
    """LINE linked and not blocked / SMS agreed and not opted out / e-mail allowed; contact
    allowed and not unsubscribed on every channel."""
    line = person("LINE", email="", line_user_id="U" + "a" * 32)
    blocked = person("BLOCKED", email="", line_user_id="U" + "b" * 32, line_blocked_at=NOW)
    sms = person("SMS", email="", phone="+819012345678", sms_allowed=True)
    sms_no = person("SMSNO", email="", phone="+819012345679", sms_allowed=False)
    sms_stop = person(
        "SMSSTOP", email="", phone="+819012345670", sms_allowed=True, sms_opted_out_at=NOW
    )
    gone = person("GONE", line_user_id="U" + "c" * 32, unsubscribed_at=NOW)
    people = {**people, "line": line, "blocked": blocked, "sms": sms, "sms_no": sms_no}
    people |= {"sms_stop": sms_stop, "gone": gone}
    assert ids(Segment(channels=("line",)), people) == ["line"]
    assert ids(Segment(channels=("sms",)), people) == ["sms"]
    assert ids(Segment(channels=("email",)), people) == ["came_back", "lapsed", "never", "recent"]
    assert ids(Segment(channels=("line", "sms")), people) == ["line", "sms"]
    assert ids(Segment(), people) == ["came_back", "lapsed", "line", "never", "recent", "sms"]
    everyone = ids(Segment(channels=()), people)
    assert {"blocked", "sms_no", "sms_stop", "gone", "no_mail"} <= set(everyone)


def test_store_link_of_the_latest_answer(people, survey):
    from surveys.links import PublicLink

    shibuya = PublicLink.objects.create(
        survey=survey, name="渋谷店", source="store", source_value="shibuya"
    )
    ginza = PublicLink.objects.create(
        survey=survey, name="銀座店", source="store", source_value="ginza"
    )
    campaign = PublicLink.objects.create(
        survey=survey, name="冬", source="campaign", source_value="winter"
    )
    for customer, link, days in [
        (people["lapsed"], shibuya, 30),
        (people["lapsed"], ginza, 3),  # the latest answer counts
        (people["never"], shibuya, 2),
        (people["came_back"], campaign, 1),  # not a store link
    ]:
        Response.objects.create(
            survey=survey,
            customer=customer,
            status="completed",
            submitted_at=NOW - dt.timedelta(days=days),
            public_link=link,
        )
    assert ids(Segment(answered_store="ginza"), people) == ["lapsed"]
    assert ids(Segment(answered_store="shibuya"), people) == ["never"]
    assert ids(Segment(answered_store="winter"), people) == []


def test_churn_is_one_rule_for_segments_and_sends(people, survey):
    """Churned: the latest cancellation followed by neither a re-activation nor a purchase. The
    segment leaves them out by default and a send holds them back for the same customers."""
    from engagement.customers.models import BehaviourKind
    from surveys.models import HoldReason
    from surveys.services.distribution import queue_invitations

    reactivated = person("REACT")
    cancel(reactivated, 30)
    BehaviourRecord.objects.create(
        customer=reactivated,
        kind=BehaviourKind.objects.get(code="reactivation"),
        occurred_at=NOW - dt.timedelta(days=10),
    )
    people = {**people, "reactivated": reactivated}
    default = ids(Segment(), people)
    assert "churned" not in default
    assert {"reactivated", "came_back"} <= set(default)
    survey.status = "open"
    survey.save(update_fields=["status"])
    invite_segment(survey=survey, segment=Segment(include_churned=True), now=NOW)
    queue_invitations(survey=survey, now=NOW)
    held = dict(
        Invitation.objects.filter(survey=survey).values_list("customer__external_id", "held_reason")
    )
    assert held["CHURNED"] == HoldReason.CHURNED
    assert held["REACT"] != HoldReason.CHURNED and held["CAMEBACK"] != HoldReason.CHURNED


def test_admin_default_is_every_channel_and_shows_reach(admin_client, people, survey):
    people["never"].line_user_id = "U" + "d" * 32
    people["never"].save(update_fields=["line_user_id"])
    url = f"/admin/surveys/survey/{survey.pk}/segment/"
    page = admin_client.get(url).content.decode()
    for n, channel in enumerate(("email", "line", "sms")):
        assert f'name="channels" value="{channel}" id="id_channels_{n}" checked>' in page
    page = admin_client.get(url, {"channels": ["line"]}).content.decode()
    assert "このセグメントの顧客は 1 名です" in page and "NEVER" in page and "LINE" in page
