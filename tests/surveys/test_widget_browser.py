"""The NPS widget on another site, in a real (headless) Chromium: the host page (another origin,
served by a local server) loads widget.js from the platform, the iframe shows the question, the
customer answers, the answer is linked to the signed customer; a site not on the allow-list
cannot frame it."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.surveys.urls")]


class Host:
    """Serves one HTML page from another origin (127.0.0.1 on a free port)."""

    def __init__(self) -> None:
        self.html = b""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(host.html)))
                self.end_headers()
                self.wfile.write(host.html)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def host():
    server = Host()
    yield server
    server.server.shutdown()
    server.server.server_close()


def make_widget(origins):
    from engagement.customers.models import Customer
    from surveys import services
    from surveys.links import Widget
    from surveys.models import Wave

    wave = Wave.objects.create(name="2026年下期", starts_on="2026-10-01", ends_on="2027-03-31")
    survey = services.create_template_survey(
        title="お客さまアンケート", brand_name="さくらカフェ", wave=wave, slug="widget"
    )
    services.open_survey(survey=survey)
    customer = Customer.objects.create(external_id="W-1", email="w@example.jp")
    widget = Widget.objects.create(survey=survey, name="アプリ", allowed_origins=origins)
    return widget, customer


def host_page(live_server, widget, customer) -> bytes:
    from surveys import tokens
    from surveys.services.widget import customer_signature

    ts = int(time.time())
    sig = customer_signature(secret=widget.secret, customer_id=customer.external_id, timestamp=ts)
    token = tokens.make_token(widget.nonce, tokens.WIDGET)
    return (
        '<!DOCTYPE html><html lang="ja"><body><h1>ショップ</h1><div id="nps"></div>'
        f'<script src="{live_server.url}/static/surveys/widget.js" data-widget="{token}"'
        f' data-customer="{customer.external_id}" data-ts="{ts}" data-sig="{sig}"'
        ' data-target="nps"></script></body></html>'
    ).encode()


def test_widget_on_an_allowed_site(live_server, desktop_page, transactional_db, host):
    from surveys.models import Response

    widget, customer = make_widget([host.origin])
    host.html = host_page(live_server, widget, customer)
    page = desktop_page
    page.goto(host.origin + "/")
    frame = page.frame_locator("#nps iframe")
    frame.get_by_text("さくらカフェ を友人や同僚にすすめる可能性").wait_for()
    # The iframe took the height its content reported.
    page.wait_for_function(
        "document.querySelector('#nps iframe').style.height !== '320px'", timeout=10000
    )
    frame.locator("label", has_text="3").first.click()
    frame.locator("#widget-text").fill("届くのが遅かったです")
    frame.get_by_role("button", name="送信").click()
    frame.get_by_text("ご回答ありがとうございました。").wait_for()
    response = Response.objects.get(customer=customer)
    assert response.nps_score == 3 and response.status == "completed"
    assert response.answers.get(question__key="reason_detractor").text == "届くのが遅かったです"


def test_widget_refused_on_a_site_not_on_the_list(
    live_server, desktop_page, transactional_db, host
):
    widget, customer = make_widget(["https://shop.example.jp"])
    host.html = host_page(live_server, widget, customer)
    page = desktop_page
    page.goto(host.origin + "/")
    page.wait_for_selector("#nps iframe")
    time.sleep(1.5)
    frame = page.frame_locator("#nps iframe")
    assert frame.locator("text=さくらカフェ").count() == 0  # blocked by frame-ancestors
