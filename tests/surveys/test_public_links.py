"""Store and campaign links: each link's URL and token, the allow-listed URL parameters kept on
the response (and nothing else), the response API's filters, the QR code as SVG and PNG, the A4
poster, and the admin's filters."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from surveys import tokens
from surveys.links import LinkSource, PublicLink, UrlParameter
from surveys.models import Response, ResponseStatus
from surveys.services import links

from .test_views import answer_all

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()


@pytest.fixture
def shibuya(survey):
    UrlParameter.objects.create(survey=survey, key="store", label="店舗")
    UrlParameter.objects.create(survey=survey, key="order", label="注文番号")
    return links.create_public_link(
        survey=survey, name="渋谷店", source=LinkSource.STORE, source_value="shibuya"
    )


def path_of(link: PublicLink) -> str:
    return "/p/" + links.link_token(link) + "/"


def test_link_url_uses_site_url_and_an_unguessable_token(shibuya, settings):
    settings.SITE_URL = "https://engage.example.jp"
    url = links.link_url(shibuya)
    assert url.startswith("https://engage.example.jp/p/")
    token = url.rsplit("/", 2)[1]
    assert tokens.verify_token(token, tokens.PUBLIC_LINK) == shibuya.nonce
    # The token is for a store link only: not a survey link, not a personal link.
    assert tokens.verify_token(token, tokens.PUBLIC) is None
    assert len(shibuya.nonce) == 24


def test_answers_through_a_store_link_keep_the_allowed_parameters(client, shibuya, survey):
    url = path_of(shibuya)
    page = client.get(url + "?store=shibuya&order=A123&email=x@example.jp&page=3")
    assert page.status_code == 200
    # The language switch (another query) does not drop them.
    assert client.get(url + "?lang=ja").status_code in (200, 303)
    assert answer_all(client, url, nps="3").status_code == 303
    response = Response.objects.get(survey=survey)
    assert response.status == ResponseStatus.COMPLETED
    assert response.public_link == shibuya
    assert response.url_params == {"store": "shibuya", "order": "A123"}


def test_parameter_values_are_cleaned(client, shibuya, survey):
    url = path_of(shibuya)
    client.get(url, {"store": "渋谷\u202e\x00店\n", "order": "A" * 500})
    answer_all(client, url, nps="9")
    response = Response.objects.get(survey=survey)
    assert response.url_params == {"store": "渋谷店", "order": "A" * 200}


def test_survey_without_an_allow_list_keeps_no_parameters(client, survey):
    link = links.create_public_link(survey=survey, name="冬キャンペーン", source="campaign")
    url = path_of(link)
    client.get(url + "?store=shibuya")
    answer_all(client, url, nps="9")
    response = Response.objects.get(survey=survey)
    assert response.url_params == {} and response.public_link == link


def test_inactive_tampered_and_other_purpose_tokens_are_refused(client, shibuya):
    token = links.link_token(shibuya)
    nonce, mac = token.split(".")
    tampered = f"{nonce}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
    assert client.get(f"/p/{tampered}/").status_code == 404
    assert client.get(f"/p/{tokens.make_token(nonce, tokens.PERSONAL)}/").status_code == 404
    assert client.get(f"/s/{token}/").status_code == 404
    PublicLink.objects.filter(id=shibuya.id).update(is_active=False)
    assert client.get(f"/p/{token}/").status_code == 404


def test_one_answer_per_browser_through_a_link(client, shibuya):
    url = path_of(shibuya)
    answer_all(client, url, nps="9")
    again = client.get(url)
    assert "すでにご回答" in again.content.decode()


def test_link_names_are_unique_per_survey(shibuya, survey):
    from engagement.platform.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        links.create_public_link(survey=survey, name=" 渋谷店 ", source="store")
    assert (
        caught.value.message == "このアンケートには「渋谷店」という名前のリンクがすでにあります。"
    )


@pytest.mark.parametrize("key", ["Store", "1store", "store-id", "page", "ストア"])
def test_bad_parameter_names_are_refused_in_japanese(survey, key):
    with pytest.raises(ValidationError) as caught:
        UrlParameter(survey=survey, key=key).full_clean()
    assert caught.value.message_dict["key"] == [
        "英小文字で始まる 1〜40 文字の英小文字・数字・_ を使ってください"
        "（「page」「action」「started」は使えません）。"
    ]


@pytest.mark.parametrize("key", ["a" * 41, ""])
def test_too_long_or_empty_parameter_names_are_refused(survey, key):
    with pytest.raises(ValidationError) as caught:
        UrlParameter(survey=survey, key=key).full_clean()
    assert caught.value.message_dict["key"]


@pytest.fixture
def answered(client, shibuya, survey):
    url = path_of(shibuya)
    client.get(url + "?store=shibuya&order=A1")
    answer_all(client, url, nps="3")
    other = links.create_public_link(survey=survey, name="新宿店", source="store")
    from django.test import Client

    second = Client()
    second.get(path_of(other) + "?store=shinjuku")
    answer_all(second, path_of(other), nps="9")
    return shibuya, other


def test_api_returns_and_filters_by_link_and_parameter(answered, survey):
    _shibuya, other = answered
    admin = User.objects.create_superuser("api-admin", "a@example.jp", "pw-Links-2026-x")
    api = APIClient()
    api.force_authenticate(admin)
    rows = api.get("/api/v1/responses/", {"param": "store:shibuya"}).json()["results"]
    assert len(rows) == 1
    assert rows[0]["public_link"] == "渋谷店" and rows[0]["link_source"] == "store"
    assert rows[0]["link_code"] == "shibuya"
    assert rows[0]["url_params"] == {"store": "shibuya", "order": "A1"}
    rows = api.get("/api/v1/responses/", {"link": other.id}).json()["results"]
    assert [r["url_params"] for r in rows] == [{"store": "shinjuku"}]
    assert api.get("/api/v1/responses/", {"param": "no-colon"}).json()["results"] == []
    assert len(api.get("/api/v1/responses/").json()["results"]) == 2


def test_admin_response_list_filters_by_link_and_parameter(admin_client, answered):
    shibuya, _other = answered
    page = admin_client.get("/admin/surveys/response/", {"url_param": "store:shibuya"})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert "store = shinjuku" in page.content.decode()  # offered as a filter choice
    page = admin_client.get("/admin/surveys/response/", {"public_link__id__exact": shibuya.id})
    assert page.context["cl"].result_count == 1


def test_qr_codes_svg_and_png(admin_client, shibuya):
    svg = admin_client.get(f"/admin/surveys/publiclink/{shibuya.pk}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content
    assert "attachment" in svg["Content-Disposition"]
    png = admin_client.get(f"/admin/surveys/publiclink/{shibuya.pk}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = (
        int.from_bytes(png.content[16:20], "big"),
        int.from_bytes(png.content[20:24], "big"),
    )
    assert width == height and width >= 250
    # The QR encodes the link's URL (segno decodes nothing, so compare with a fresh encoding).
    assert png.content == links.qr_png(links.link_url(shibuya))


def test_a4_poster_print_view(admin_client, shibuya):
    page = admin_client.get(f"/admin/surveys/publiclink/{shibuya.pk}/poster/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "渋谷店" in html and "さくらカフェ" in html
    assert "ご意見をお聞かせください" in html
    assert f"/admin/surveys/publiclink/{shibuya.pk}/qr.svg?inline=1" in html
    assert "surveys/poster.css" in html and "data-print" in html
    assert links.link_url(shibuya) in html
    # CSP: no inline scripts or styles.
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html and "<style" not in html
    inline = admin_client.get(f"/admin/surveys/publiclink/{shibuya.pk}/qr.svg?inline=1")
    assert "Content-Disposition" not in inline


def test_poster_and_qr_need_permission(client, shibuya):
    staff = User.objects.create_user("viewer", password="pw-Links-2026-x", is_staff=True)
    client.force_login(staff)
    for suffix in ("qr.svg", "qr.png", "poster/"):
        assert client.get(f"/admin/surveys/publiclink/{shibuya.pk}/{suffix}").status_code == 403


def test_webhook_payload_carries_link_and_parameters(answered, survey):
    from engagement.integrations.models import WebhookDelivery, WebhookEndpoint
    from surveys.services.announcements import response_payload

    response = Response.objects.get(public_link=answered[0])
    data = json.loads(json.dumps(response_payload(response), default=str))
    assert data["public_link"] == "渋谷店" and data["url_params"]["store"] == "shibuya"
    assert not WebhookDelivery.objects.exists() and not WebhookEndpoint.objects.exists()
