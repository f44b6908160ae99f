"""Branding and display names: replies are signed with the staff member's display name and
name the company from the branding settings; e-mails carry the sender name and the footer;
the settings page checks the accent colour's contrast (WCAG AA) and the logo."""

from __future__ import annotations

import pytest

from engagement.platform import branding
from engagement.platform.errors import InvalidInput
from engagement.platform.models import Branding
from voc.triage import services
from voc.triage.models import ReplyTemplate

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_contrast_ratio_follows_wcag() -> None:
    assert branding.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert branding.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # reference values (WebAIM contrast checker)
    assert branding.contrast_ratio("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)
    assert branding.contrast_ratio("#ffffff", "#777777") == pytest.approx(4.48, abs=0.01)
    assert branding.check_branding(accent_colour="#767676", logo=None) == {}
    assert "accent_colour" in branding.check_branding(accent_colour="#777777", logo=None)


def test_reply_is_signed_with_the_display_name_and_names_the_company(world) -> None:
    template = ReplyTemplate.objects.get(name="お礼（ご意見）")
    agent = world["agent"]
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=agent, template_id=template.id
    )
    # no settings: the username and 「弊社」 (the fallbacks)
    assert f"{agent.username}でございます" in draft.body and "いつも弊社を" in draft.body
    agent.first_name, agent.last_name = "花子", "山田"
    agent.save()
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=agent, template_id=template.id
    )
    assert "山田 花子でございます" in draft.body or "花子 山田でございます" in draft.body
    branding.set_display_name(user=agent, display_name="カスタマーサポート 山田")
    branding.update_branding(
        company_name="さくら商事",
        sender_name="さくら商事 お客様窓口",
        footer="",
        accent_colour="#1f5f8b",
    )
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=agent, template_id=template.id
    )
    assert "カスタマーサポート 山田でございます" in draft.body
    assert "いつもさくら商事を" in draft.body and "弊社" not in draft.body


def test_sent_reply_has_the_sender_name_and_footer(
    world, django_capture_on_commit_callbacks, mailoutbox, settings
) -> None:
    settings.DEFAULT_FROM_EMAIL = "support@example.jp"
    branding.update_branding(
        company_name="さくら商事",
        sender_name="さくら商事 お客様窓口",
        footer="さくら商事株式会社 お客様窓口 0120-000-000",
        accent_colour="#1f5f8b",
    )
    draft = services.save_reply_draft(
        item_id=world["item_a"].id, actor=world["agent"], subject="ご連絡", body="本文"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.send_reply(reply_id=draft.id, actor=world["agent"])
    (mail,) = mailoutbox
    assert "support@example.jp" in mail.from_email and "=?utf-8?" not in mail.body
    assert mail.message()["From"].startswith("=?utf-8?")  # the Japanese name, encoded
    assert mail.body == "本文\n\n--\nさくら商事株式会社 お客様窓口 0120-000-000"


def test_bad_values_save_nothing() -> None:
    branding.update_branding(company_name="A社", sender_name="", footer="", accent_colour="#1f5f8b")
    with pytest.raises(InvalidInput) as caught:
        branding.update_branding(
            company_name="B社", sender_name="", footer="", accent_colour="#ffeb3b"
        )
    assert "4.5:1" in caught.value.fields["accent_colour"][0]
    with pytest.raises(InvalidInput) as caught:
        branding.update_branding(
            company_name="B社", sender_name="", footer="", accent_colour="#1f5f8b", logo=b"GIF89a"
        )
    assert "logo" in caught.value.fields
    assert Branding.objects.get().company_name == "A社"


def test_settings_page_logo_stylesheet_and_customer_page(world, client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world["agent"])
    assert client.get("/admin/settings/branding/").status_code == 403
    client.force_login(world["administrator"])
    page = client.get("/admin/settings/branding/")
    assert page.status_code == 200
    bad = client.post(
        "/admin/settings/branding/",
        {"company_name": "さくら商事", "accent_colour": "#fafafa", "footer": "", "sender_name": ""},
    )
    assert bad.status_code == 400 and "4.5:1" in bad.content.decode()
    assert not Branding.objects.exists()
    saved = client.post(
        "/admin/settings/branding/",
        {
            "company_name": "さくら商事",
            "accent_colour": "#0b5cad",
            "footer": "さくら商事株式会社",
            "sender_name": "",
            "logo": SimpleUploadedFile("logo.png", PNG, content_type="image/png"),
        },
    )
    assert saved.status_code == 302
    css = client.get("/branding.css")
    assert (
        css["Content-Type"].startswith("text/css") and "--accent: #0b5cad" in css.content.decode()
    )
    logo = client.get("/branding/logo")
    assert logo.content == PNG and logo["Content-Type"] == "image/png"
    client.logout()
    # a customer page shows the logo, the stylesheet and the footer
    from django.utils import timezone

    from surveys import services as survey_services
    from surveys.models import Wave
    from surveys.services.design import create_template_survey, enable_public_link, open_survey

    wave = Wave.objects.create(name="w", starts_on="2026-01-01", ends_on="2026-12-31")
    survey = create_template_survey(title="調査", brand_name="さくら", wave=wave, slug="s-brand")
    open_survey(survey=survey, now=timezone.now())
    token = enable_public_link(survey=survey)
    del survey_services
    body = client.get(f"/p/{token}/").content.decode()
    assert 'href="/branding.css"' in body and 'src="/branding/logo"' in body
    assert "さくら商事株式会社" in body


def test_own_display_name_page(world, client) -> None:
    client.force_login(world["agent"])
    response = client.post("/admin/settings/profile/", {"display_name": "お客様窓口 佐藤"})
    assert response.status_code == 302
    page = client.get("/admin/settings/profile/").content.decode()
    assert "お客様窓口 佐藤でございます" in page
    assert branding.display_name(world["agent"]) == "お客様窓口 佐藤"


def test_dashboard_links_the_settings_pages(world, client) -> None:
    client.force_login(world["administrator"])
    body = client.get("/admin/dashboard/").content.decode()
    assert 'href="/admin/settings/branding/"' in body and 'href="/admin/settings/profile/"' in body
    client.force_login(world["product"])
    body = client.get("/admin/dashboard/").content.decode()
    assert 'href="/admin/settings/branding/"' not in body
    assert 'href="/admin/settings/profile/"' in body
