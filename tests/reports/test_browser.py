"""The report in a real browser: opened by a product-team account and printed to PDF."""

from __future__ import annotations

import re
import zlib

import pytest
from django.contrib.auth.models import User

from engagement.reports import services
from tests.reports.conftest import PERIOD, Constructed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def pdf_strings(pdf: bytes) -> str:
    """Every text the PDF carries in its (decompressed) streams and outline, decoded loosely."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    text = []
    for chunk in chunks:
        text.append(chunk.decode("latin-1"))
        # UTF-16BE strings, literal (<FEFF…> hex) or raw
        for hex_string in re.findall(rb"<FEFF([0-9A-Fa-f]+)>", chunk):
            try:
                text.append(bytes.fromhex(hex_string.decode()).decode("utf-16-be"))
            except ValueError:
                continue
        for raw in re.findall(rb"\(\xfe\xff((?:[^\\)]|\\.)*)\)", chunk, re.DOTALL):
            text.append(re.sub(rb"\\(.)", rb"\1", raw).decode("utf-16-be", errors="ignore"))
    return "\n".join(text)


def test_report_opens_and_prints_to_pdf(
    live_server, desktop_page, constructed: Constructed, product_team_user: User
) -> None:
    report = services.request_report(period_start=PERIOD[0], period_end=PERIOD[1])
    page = desktop_page
    page.goto(f"{live_server.url}/admin/login/?next=/reports/{report.id}/")
    page.fill("#id_username", "pm")
    page.fill("#id_password", "pw-for-tests-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"**/reports/{report.id}/")
    assert page.locator("h1").first.inner_text().startswith("改善レポート")
    assert page.locator(".summary li").first.inner_text().startswith("解約手続き")
    assert page.locator("svg.chart").count() == 2
    html = page.content()
    assert "taro.yamada" not in html and "山田" not in html

    page.emulate_media(media="print")
    assert page.locator("#header").is_hidden()
    assert page.locator(".report-header .actions").is_hidden()  # buttons are not printed
    assert page.locator("svg.chart").first.is_visible()
    assert page.locator(f"#topic-{constructed.angry.id}").is_visible()

    pdf = page.pdf(format="A4", print_background=True, outline=True, tagged=True)
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 20_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 2
    text = pdf_strings(pdf)
    # the outline (bookmarks from the headings) carries the topic names
    assert "解約手続き" in text
    assert "山田" not in text and "taro.yamada" not in text
