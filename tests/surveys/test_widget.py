"""The embedded NPS widget: the host's signed customer ID (a forged one gets 403 and stores
nothing), frame-ancestors from the allow-list, one answer per customer, the public rate limits,
and the script's size (no CDN, < 15 KB)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError

from surveys import tokens
from surveys.links import Widget
from surveys.models import Response
from surveys.services.widget import customer_signature

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

STATIC = Path(__file__).resolve().parents[2] / "engagement" / "static" / "surveys"


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()


@pytest.fixture
def widget(survey):
    w = Widget(survey=survey, name="アプリ", allowed_origins=["https://shop.example.jp"])
    w.full_clean()
    w.save()
    return w


def url(widget, customer=None, *, ts=None, secret=None, sig=None):
    path = f"/w/{tokens.make_token(widget.nonce, tokens.WIDGET)}/"
    if customer is None:
        return path
    ts = ts or int(time.time())
    sig = sig or customer_signature(
        secret=secret or widget.secret, customer_id=customer.external_id, timestamp=ts
    )
    return f"{path}?customer={customer.external_id}&ts={ts}&sig={sig}"


def form_of(page) -> str:
    return re.search(r'name="form" value="([^"]+)"', page.content.decode()).group(1)


def test_signed_customer_answers_once_and_is_linked(client, widget, customer):
    page = client.get(url(widget, customer))
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert (
        "frame-ancestors https://shop.example.jp;" in csp
        and "'none'" not in csp.split("frame-ancestors")[1].split(";")[0]
    )
    assert "X-Frame-Options" not in page
    html = page.content.decode()
    assert "さくらカフェ" in html and 'name="score"' in html
    done = client.post(
        url(widget), {"form": form_of(page), "score": "3", "text": "配送が遅い\x00です"}
    )
    assert done.status_code == 200 and "ご回答ありがとうございました" in done.content.decode()
    response = Response.objects.get(customer=customer)
    assert response.status == "completed" and response.nps_category == "detractor"
    assert response.url_params == {"widget": "アプリ"}
    assert response.answers.get(question__key="reason_detractor").text == "配送が遅いです"
    # Once per customer: the widget shows thanks; a replayed form stores nothing more.
    again = client.get(url(widget, customer))
    assert "ご回答ありがとうございました" in again.content.decode()
    client.post(url(widget), {"form": form_of(page), "score": "9"})
    assert Response.objects.filter(customer=customer).count() == 1


@pytest.mark.parametrize("case", ["wrong secret", "tampered", "expired", "unknown customer"])
def test_forged_signature_gets_403_and_changes_nothing(client, widget, customer, case):
    from engagement.customers.models import Customer

    target = customer
    kwargs = {}
    if case == "wrong secret":
        kwargs["secret"] = "not-the-secret"
    elif case == "tampered":
        kwargs["sig"] = "0" * 64
    elif case == "expired":
        kwargs["ts"] = int(time.time()) - 2 * 24 * 3600
    else:
        target = Customer(external_id="C-NOBODY")
    page = client.get(url(widget, target, **kwargs))
    assert page.status_code == 403
    assert "お客さまの確認ができませんでした" in page.content.decode()
    assert 'name="form"' not in page.content.decode()
    assert not Response.objects.exists()


def test_forged_form_token_gets_403(client, widget, customer):
    page = client.get(url(widget, customer))
    token = form_of(page)
    forged = client.post(url(widget), {"form": token[:-2] + "xx", "score": "5"})
    assert forged.status_code == 403
    assert not Response.objects.exists()


def test_anonymous_answers_and_bad_score(client, widget):
    page = client.get(url(widget))
    bad = client.post(url(widget), {"form": form_of(page), "score": "11"})
    assert bad.status_code == 400 and "0〜10" in bad.content.decode()
    ok = client.post(url(widget), {"form": form_of(page), "score": "10", "text": "最高"})
    assert ok.status_code == 200
    response = Response.objects.get()
    assert response.customer is None and response.nps_category == "promoter"


def test_anonymous_answers_are_rate_limited(client, widget, settings):
    settings.SURVEYS_PUBLIC_START_LIMITS = {"client": "2/h", "link": "99/h"}
    token = form_of(client.get(url(widget)))
    statuses = [
        client.post(url(widget), {"form": token, "score": "8"}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    assert Response.objects.count() == 2


def test_unknown_and_inactive_widgets_are_404(client, widget):
    assert client.get("/w/not-a-token/").status_code == 404
    Widget.objects.filter(id=widget.id).update(is_active=False)
    assert client.get(url(widget)).status_code == 404


def test_origins_are_checked_in_japanese(survey, settings):
    settings.INTEGRATIONS_ALLOW_LOOPBACK = False
    for origins in ([], ["http://shop.example.jp"], ["https://shop.example.jp/path"], ["*"]):
        with pytest.raises(ValidationError) as caught:
            Widget(survey=survey, name="x", allowed_origins=origins).full_clean()
        assert (
            "サイトは https://ホスト名 の形で入力してください（パスや末尾の / は不要、1 つ以上）。"
            in caught.value.message_dict["allowed_origins"]
        )


def test_script_is_small_and_loads_nothing_from_elsewhere():
    script = (STATIC / "widget.js").read_bytes()
    assert len(script) < 15 * 1024
    code = script.decode()
    assert "document.currentScript" in code and "postMessage" not in code.split("*/", 1)[0]
    # Every URL it builds comes from its own src (the platform), none from a CDN.
    assert not re.search(r"https?://(?!ENGAGE)", code.split("*/", 1)[1])
    assert "event.origin !== origin" in code


def test_admin_shows_the_embed_code(admin_client, widget):
    page = admin_client.get(f"/admin/surveys/widget/{widget.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    assert tokens.make_token(widget.nonce, tokens.WIDGET) in html
    # The signing secret is shown once when made, never on the settings page.
    assert widget.secret not in html and "設定済み" in html
