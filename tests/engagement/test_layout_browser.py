"""No page is wider than the window: every staff and customer page at 390, 1366 and 1920 px.

The pages are the ones the production crawl visits (``tests/production/seed.py``: the URL
resolver and the admin registry on a small seeded demo). Each HTML page is loaded once and looked
at in the three widths (the viewport is resized, the page re-laid out): the document's
``scrollWidth`` must not exceed its ``clientWidth`` — wide tables scroll inside their own
container, not the page. A screenshot of each page at each width is saved under
``var/screenshots/`` (``SCREENSHOT_DIR`` overrides it; CI keeps the folder as an artefact) and
the folder is printed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
WIDTHS = (1920, 1366, 390)
INBOX = "/admin/voc/feedbackitem/"
# Not HTML pages: downloads, JSON, images, the health check, the API schema.
NOT_PAGES = re.compile(
    r"(\.csv|\.xlsx|\.svg|\.png|\.css|\.js$|/csv/|/qrcode/|/jsi18n/|/healthz|/api/schema/|/export\.|/progress/)"
)

MEASURE = """() => {
  const doc = document.documentElement;
  const wide = [];
  if (doc.scrollWidth > doc.clientWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > doc.clientWidth + 1 && r.width > 0) {
        let inside = false;
        for (let p = el.parentElement; p; p = p.parentElement) {
          const s = getComputedStyle(p);
          if (p !== document.body && p !== doc && /(auto|scroll|hidden)/.test(s.overflowX)) {
            inside = true; break;
          }
        }
        if (!inside) {
          wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
            (el.className && typeof el.className === 'string' ?
             '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(r.right));
        }
      }
      if (wide.length > 4) break;
    }
  }
  return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
}"""


def _screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("staff-*.jpg"), *folder.glob("customer-*.jpg")]:
        old.unlink()  # this run's pages only
    return folder


def _slug(url: str) -> str:
    path = re.sub(r"^https?://[^/]+", "", url)
    return re.sub(r"[^\w]+", "_", path).strip("_") or "home"


def _look_at(page: Any, url: str, who: str, folder: Path) -> list[str]:
    """Load ``url`` once, then check and photograph it at each width; the problems found."""
    problems = []
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    if "html" not in (response.headers.get("content-type") or ""):
        return []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(30)
        measured = page.evaluate(MEASURE)
        page.screenshot(
            path=str(folder / f"{who}-{_slug(url)}-{width}.jpg"), type="jpeg", quality=50
        )
        if width == 1920 and url.endswith(INBOX):
            # The CS inbox is read on wide screens: all of its columns show without scrolling.
            table = page.evaluate(
                "() => { const t = document.querySelector('#result_list');"
                " return [t.getBoundingClientRect().width, t.parentElement.clientWidth]; }"
            )
            if table[0] > table[1] + 1:
                problems.append(
                    f"{url} at 1920px: the inbox table ({table[0]}) is cut at {table[1]}"
                )
        if measured["scroll"] > measured["client"]:
            problems.append(
                f"{url} at {width}px: scrollWidth {measured['scroll']} > "
                f"clientWidth {measured['client']} ({', '.join(measured['wide'])})"
            )
    return problems


def test_no_page_is_wider_than_the_window(live_server, chromium, settings, capsys):
    from tests.production import seed as production_seed

    settings.CELERY_TASK_ALWAYS_EAGER = True
    seeded = production_seed.seed()
    seeded.update(production_seed.discover(seeded.pop("params")))
    only = re.compile(os.environ.get("LAYOUT_ONLY", ""))  # a subset while fixing a page
    staff = [url for url in seeded["staff"] if not NOT_PAGES.search(url) and only.search(url)]
    customer = [url for url in seeded["customer"] if only.search(url)]
    folder = _screenshot_dir()
    with capsys.disabled():  # printed even when the run captures output (CI keeps the folder)
        print(f"\nlayout screenshots: {folder}")

    problems: list[str] = []
    # Customers and staff in separate browser contexts: a customer page opened with ?lang=en
    # keeps English in its cookie, and staff pages are checked in Japanese.
    for who, urls in (("customer", customer), ("staff", staff)):
        context = chromium.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
        page = context.new_page()
        try:
            if who == "staff":
                page.goto(f"{live_server.url}/admin/login/?next=/admin/")
                page.fill("#id_username", seeded["username"])
                page.fill("#id_password", seeded["password"])
                page.click("input[type=submit]")
                page.wait_for_url("**/admin/")
            for url in urls:
                problems += _look_at(page, live_server.url + url, who, folder)
            if who == "staff":  # still Japanese after the customer pages (English among them)
                page.goto(f"{live_server.url}/admin/")
                assert page.evaluate("document.documentElement.lang") == "ja"
        finally:
            context.close()
    if not only.pattern:
        assert len(staff) > 100  # the crawl's pages, not a handful
        assert any(url.endswith(INBOX) for url in staff)
    assert problems == [], "\n".join(problems)
