from __future__ import annotations

import re
import time

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone

from surveys import services, tokens
from surveys.models import Answer, Response, ResponseStatus

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.surveys.urls")]

AWARENESS = {
    f"q-aw_{k}": v
    for k, v in {
        "like": 5,
        "satisfied": 5,
        "devotion": 4,
        "grateful": 4,
        "would_miss": 3,
        "support": 3,
        "spread": 2,
        "vision": 1,
    }.items()
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    caches["default"].clear()


def url_of(token: str) -> str:
    return f"/s/{token}/"


def post(client, url, data, **extra):
    return client.post(url, data, **extra)


def answer_all(client, url, *, nps="2", reason="遅すぎます😡\r\n改善を"):
    r = post(client, url, {"page": "1", "action": "next", "q-nps": nps})
    assert r.status_code == 303
    r = post(client, url, {"page": "2", "action": "next", "q-reason_detractor": reason})
    assert r.status_code == 303
    r = post(client, url, {"page": "3", "action": "next", **AWARENESS})
    assert r.status_code == 303
    r = post(client, url, {"page": "4", "action": "next", "q-touchpoint": "store"})
    assert r.status_code == 303
    return post(client, url, {"page": "5", "action": "next", "q-csat": "2", "q-ideas": ""})


def test_full_flow_with_conditional_question_and_scores(client, invitation_token):
    invitation, token = invitation_token
    url = url_of(token)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="ja"' in html
    assert "さくらカフェを友人や同僚にすすめる可能性" in html
    # 0–10 as a real radio group with labels
    assert html.count('type="radio" name="q-nps"') == 11
    assert '<label for="q-nps-10">10</label>' in html
    assert "<fieldset" in html and "<legend" in html
    r = post(client, url, {"page": "1", "action": "next", "q-nps": "2"})
    assert r.status_code == 303
    page2 = client.get(url).content.decode()
    assert "ご期待に沿えず" in page2  # detractor wording
    assert "特に気に入って" not in page2  # promoter wording hidden
    post(client, url, {"page": "2", "action": "next", "q-reason_detractor": "遅い"})
    post(client, url, {"page": "3", "action": "next", **AWARENESS})
    post(client, url, {"page": "4", "action": "next", "q-touchpoint": "store"})
    page5 = client.get(url).content.decode()
    assert "店舗でのご体験に、どの程度満足されましたか" in page5
    r = post(client, url, {"page": "5", "action": "next", "q-csat": "2"})
    assert r.status_code == 303 and r["Location"].endswith("/thanks/")
    thanks = client.get(r["Location"])
    assert thanks.status_code == 200 and "ご回答ありがとうございました" in thanks.content.decode()
    response = Response.objects.get(invitation=invitation)
    assert response.status == ResponseStatus.COMPLETED
    assert response.nps_category == "detractor" and response.touchpoint == "store"
    # attachment 5,5,4,4,3 -> 4.2 -> 80; empathy 3,2,1 -> 2 -> 25; all 27/8 -> 59.375
    assert response.attachment_index == pytest.approx(80)
    assert response.empathy_index == pytest.approx(25)
    assert response.awareness_index == pytest.approx(59.375)
    # answering again: "already answered", never a second response
    again = client.get(url)
    assert again.status_code == 200 and "すでにご回答" in again.content.decode()
    again = post(client, url, {"page": "5", "action": "next", "q-csat": "5"})
    assert again.status_code == 409
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_validation_error_next_to_question_keeps_typed_text(client, invitation_token):
    _, token = invitation_token
    url = url_of(token)
    post(client, url, {"page": "1", "action": "next", "q-nps": "8"})
    post(client, url, {"page": "2", "action": "next", "q-reason_passive": "ふつう"})
    partial = {k: v for k, v in AWARENESS.items() if k != "q-aw_vision"}
    r = post(client, url, {"page": "3", "action": "next", **partial})
    assert r.status_code == 200
    html = r.content.decode()
    block = re.search(r'id="q-aw_vision-block".*?</fieldset>', html, re.S).group(0)
    assert "この質問にお答えください。" in block
    assert 'aria-invalid="true"' in block
    assert 'id="q-aw_like-5" value="5" checked' in html  # what was picked is kept
    # too long text: error next to it, text kept exactly
    post(client, url, {"page": "3", "action": "next", **AWARENESS})
    post(client, url, {"page": "4", "action": "next", "q-touchpoint": "web"})
    long_text = "ｱ全角😀" * 1700
    r = post(client, url, {"page": "5", "action": "next", "q-csat": "3", "q-ideas": long_text})
    assert r.status_code == 200
    html = r.content.decode()
    assert "5000文字以内でご記入ください" in html
    assert long_text in html


def test_partial_answers_resume_and_back(client, invitation_token):
    invitation, token = invitation_token
    url = url_of(token)
    post(client, url, {"page": "1", "action": "next", "q-nps": "10"})
    post(client, url, {"page": "2", "action": "next", "q-reason_promoter": "接客が丁寧"})
    from django.test import Client

    other_device = Client()
    html = other_device.get(url).content.decode()
    assert "3ページ目" in html  # resumes where they left off
    r = post(other_device, url, {"page": "3", "action": "back"})
    assert r.status_code == 303
    html = other_device.get(url).content.decode()
    assert "接客が丁寧" in html
    assert Response.objects.get(invitation=invitation).status == ResponseStatus.IN_PROGRESS


def test_free_text_preserved_exactly_and_control_chars_stripped(client, invitation_token):
    invitation, token = invitation_token
    typed = "  ﾊﾝｶｸ　ＺＥＮＫＡＫＵ 👩‍💻 \x00\x08改行\r\n次の行\x1b  "
    r = answer_all(client, url_of(token), reason=typed)
    assert r.status_code == 303
    answer = Answer.objects.get(response__invitation=invitation, question__key="reason_detractor")
    assert answer.text == "  ﾊﾝｶｸ　ＺＥＮＫＡＫＵ 👩‍💻 改行\n次の行  "


def test_tampered_unknown_and_draft_tokens_look_the_same(client, invitation_token, wave):
    invitation, token = invitation_token
    nonce, mac = token.split(".")
    tampered = f"{nonce}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
    unknown = tokens.make_token(tokens.new_nonce(), tokens.PERSONAL)
    wrong_purpose = tokens.make_token(nonce, tokens.UNSUBSCRIBE)
    draft = services.create_template_survey(title="下書き", brand_name="B", wave=wave, slug="draft")
    [(_, draft_token)] = services.create_invitations(
        survey=draft, customers=[invitation.customer], now=timezone.now()
    )
    bodies = set()
    for bad in [tampered, unknown, wrong_purpose, nonce, "x" * 10, draft_token]:
        r = client.get(url_of(bad))
        assert r.status_code == 404
        body = r.content.decode().replace(bad, "")
        bodies.add(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body))
        assert "このリンクはご利用いただけません" in body
    assert len(bodies) == 1  # no hint which case it was
    assert client.post(url_of(tampered), {"q-nps": "1"}).status_code == 404


def test_closed_and_expired_links_get_410(client, invitation_token, survey):
    _, token = invitation_token
    survey.closes_at = timezone.now() - timezone.timedelta(minutes=1)
    survey.save()
    r = client.get(url_of(token))
    assert r.status_code == 410 and "終了しました" in r.content.decode()
    survey.closes_at = None
    survey.save()
    services.close_survey(survey=survey)
    assert client.get(url_of(token)).status_code == 410
    assert client.post(url_of(token), {"page": "1", "q-nps": "3"}).status_code == 410
    assert not Response.objects.exists()


def test_security_headers_and_no_third_party_resources(client, invitation_token):
    _, token = invitation_token
    for url in [url_of(token), url_of("bad.token")]:
        r = client.get(url)
        assert r["Referrer-Policy"] == "no-referrer"
        assert "no-store" in r["Cache-Control"]
        assert "default-src 'self'" in r["Content-Security-Policy"]
        html = r.content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html)


@override_settings(SURVEYS_RATE_LIMITS={"GET": "100/m", "POST": "5/m"})
def test_rate_limit_keyed_on_real_address_ignores_forged_xff(client, invitation_token):
    _, token = invitation_token
    url = url_of(token)
    codes = [
        client.post(
            url,
            {"page": "1", "action": "next", "q-nps": "5"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(7)
    ]
    assert codes[:5] == [303] * 5
    assert codes[5:] == [429, 429]
    # another real client is not affected
    other = client.post(
        url, {"page": "1", "action": "next", "q-nps": "5"}, REMOTE_ADDR="203.0.113.8"
    )
    assert other.status_code == 303


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
)
def test_submit_works_with_redis_down(client, invitation_token, caplog):
    invitation, token = invitation_token
    started = time.monotonic()
    r = answer_all(client, url_of(token))
    elapsed = time.monotonic() - started
    assert r.status_code == 303
    assert elapsed < 10  # five requests, each well within a few seconds
    assert "rate-limit cache unavailable" in caplog.text  # Redis really was down
    assert Response.objects.get(invitation=invitation).status == ResponseStatus.COMPLETED
    from engagement.platform.models import RateCounter

    assert RateCounter.objects.exists()  # ... and the limits were counted in the database


def test_language_switch_to_english(client, invitation_token):
    _, token = invitation_token
    japanese_browser = client.get(url_of(token), HTTP_ACCEPT_LANGUAGE="ja,en-US;q=0.9")
    assert 'lang="ja"' in japanese_browser.content.decode()
    # the survey has an English version: an English browser gets it (surveys.languages)
    english_browser = client.get(url_of(token), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="en"' in english_browser.content.decode()
    client.cookies["django_language"] = "en"
    html = client.get(url_of(token)).content.decode()
    assert 'lang="en"' in html
    assert "How likely is it that you would recommend さくらカフェ" in html
    assert "Page 1 of 5" in html


def test_unsubscribe_link(client, invitation_token):
    invitation, _ = invitation_token
    token = tokens.make_token(invitation.nonce, tokens.UNSUBSCRIBE)
    assert client.get(f"/u/{token}/").status_code == 200
    r = client.post(f"/u/{token}/")
    assert r.status_code == 200 and "配信を停止しました" in r.content.decode()
    invitation.customer.refresh_from_db()
    assert invitation.customer.unsubscribed_at is not None
    assert client.post(f"/u/{token[:-2]}xx/").status_code == 404


def test_public_link_answers_once_per_browser(client, survey):
    token = services.enable_public_link(survey=survey)
    url = f"/p/{token}/"
    assert client.get(url).status_code == 200
    # nps 9: the page-2 question shown is the promoter one; the detractor field posted is ignored
    r = answer_all(client, url, nps="9", reason="書いても表示されていない設問")
    assert r.status_code == 303
    response = Response.objects.get(survey=survey, invitation__isnull=True)
    assert response.status == ResponseStatus.COMPLETED
    assert response.customer is None and response.nps_category == "promoter"
    assert not response.answers.filter(question__key="reason_detractor").exists()
    again = client.get(url)
    assert again.status_code == 200 and "すでにご回答" in again.content.decode()
    from django.test import Client

    assert Client().get(url).status_code == 200  # another browser may answer
    assert client.get(f"/p/{token}x/").status_code == 404


def test_tokens_not_logged(client, invitation_token, caplog):
    import logging

    from engagement.platform.logfilters import RedactTokens

    _, token = invitation_token
    caplog.handler.addFilter(RedactTokens())
    with caplog.at_level(logging.INFO):
        client.get(f"/s/{token}x/")
        logging.getLogger("django.request").warning("Not Found: %s", f"/s/{token}/")
    assert token not in caplog.text
    assert token[:20] not in caplog.text


def test_csrf_token_required_even_though_origin_is_null(invitation_token):
    from django.test import Client

    _, token = invitation_token
    browser = Client(enforce_csrf_checks=True)
    url = url_of(token)
    html = browser.get(url).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = {"page": "1", "action": "next", "q-nps": "6"}
    # no-referrer makes browsers send "Origin: null" and no Referer with the post
    forged = Client(enforce_csrf_checks=True).post(url, data, HTTP_ORIGIN="null")
    assert forged.status_code == 403
    assert not Response.objects.exists()
    ok = browser.post(url, {**data, "csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="null")
    assert ok.status_code == 303
    assert Response.objects.get().answers.get().number == 6


def test_language_links_switch_without_a_form_post(client, invitation_token):
    _, token = invitation_token
    r = client.get(url_of(token) + "?lang=en")
    assert r.status_code == 303 and r["Location"] == url_of(token)
    assert r.cookies["django_language"].value == "en"
    assert "Page 1 of 5" in client.get(url_of(token)).content.decode()


@pytest.fixture
def silent_redis():
    """A TCP port that accepts connections and never answers (a hung Redis)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_submit_works_with_redis_not_answering(client, invitation_token, silent_redis, caplog):
    invitation, token = invitation_token
    hung = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{silent_redis}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=hung):
        started = time.monotonic()
        r = post(client, url_of(token), {"page": "1", "action": "next", "q-nps": "4"})
        first = time.monotonic() - started
        r2 = answer_all(client, url_of(token))
        total = time.monotonic() - started
    assert r.status_code == 303 and r2.status_code == 303
    assert first < 3, f"one request took {first:.2f} s"
    assert total < 15
    assert "rate-limit cache unavailable" in caplog.text
    assert Response.objects.get(invitation=invitation).status == ResponseStatus.COMPLETED


def test_pages_render_with_a_bounded_number_of_queries(
    client, invitation_token, django_assert_max_num_queries
):
    _, token = invitation_token
    url = url_of(token)
    post(client, url, {"page": "1", "action": "next", "q-nps": "7"})
    post(client, url, {"page": "2", "action": "next", "q-reason_passive": "普通"})
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()  # the page with 8 statements × 5 options
    assert html.count('type="radio"') == 40
