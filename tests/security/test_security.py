"""Security figures (issue 13): every page × role, hostile inputs over every page, export and
import, schemathesis over the API; every check prints what it tried and asserts 0 findings.

- **Pages × roles**: every staff URL the resolver and the admin registry know (the production
  crawl's discovery, ``tests/production/seed.py``) as an admin (200 with a CSP and no inline
  script) and anonymously (never 200: login redirect, 401/403); every customer page as a
  customer. (The production crawl through gunicorn, ``make production-check``, repeats the
  admin and customer crawl under ``DJANGO_DEBUG=0``.)
- **XSS**: a corpus stored in feedback text, customer fields and topic names (shown by the
  inbox, topic, search, dashboard and report pages) and sent in every GET parameter of every
  staff page's forms and the usual query parameters: no payload comes back unescaped.
- **Formula injection**: payloads stored where exports read them; every CSV/xlsx export the
  crawl finds, plus the inbox export action and the survey-links export: no cell a spreadsheet
  would run, no formula cell in xlsx, numbers as numbers.
- **Control characters**: every C0 (except tab/LF/CR), DEL and C1 character in every importer
  (customers, behaviours, feedback) in CSV and xlsx: a row/column error, nothing written.
"""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from engagement.customers import imports
from engagement.customers.models import BehaviourRecord, Customer, ImportKind
from engagement.platform.csvfiles import CsvFileError
from engagement.platform.spreadsheets import is_formula_like
from tests.production import crawler

pytestmark = pytest.mark.django_db

XSS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '" onmouseover="alert(1)" x="',
    "<a href='javascript:alert(1)'>x</a>",
    "<style>body{display:none}</style>",
]
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    " =1+1",
    "\u3000=1+1",
    "\t=1+1",
    "\r=1+1",
]
CONTROL = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"]
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
GENERIC_PARAMS = ("q", "keyword", "search", "page", "topic", "o", "next", "segment", "lang")
FIGURES: dict[str, Any] = {}


def _seeded() -> dict[str, Any]:
    from tests.production import seed

    data = seed.seed()
    data.update(seed.discover(data.pop("params")))
    return data


def _hostile_data() -> None:
    from voc.models import Channel, FeedbackItem, Topic

    topics = list(Topic.objects.order_by("id")[:3])
    customers = list(Customer.objects.order_by("id")[:3])
    for number, payload in enumerate(XSS + FORMULAS):
        FeedbackItem.objects.create(
            text=f"{payload} 配送が遅いです",
            channel=Channel.SUPPORT,
            received_at=timezone.now(),
            customer=customers[number % len(customers)],
            topic=topics[number % len(topics)] if topics else None,
            sentiment="negative",
        )
    # Quotes start with the payload too (exports put the text first in its cell).
    for payload in FORMULAS:
        FeedbackItem.objects.create(
            text=payload,
            channel=Channel.REVIEW,
            received_at=timezone.now(),
            customer=customers[0],
            topic=topics[0] if topics else None,
        )
    if topics:
        topics[0].name = XSS[0] + "配送"
        topics[0].save()
        topics[1].name = FORMULAS[1]
        topics[1].save()
    Customer.objects.filter(id=customers[0].id).update(
        name=XSS[1], segment=FORMULAS[0], external_id="=cmd|calc"
    )
    Customer.objects.filter(id=customers[1].id).update(name=FORMULAS[5], segment=XSS[2])


@pytest.fixture
def site(db: None) -> dict[str, Any]:
    started = time.monotonic()
    data = _seeded()
    _hostile_data()
    from engagement.reports.models import Report
    from engagement.reports.services import generate_report

    report = Report.objects.order_by("-id").first()
    generate_report(report_id=report.id)  # again, with the hostile topic names and quotes
    print(f"\n  (seed: {time.monotonic() - started:.1f} s)")
    return data


def admin_client(site: dict[str, Any]) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    # Signed in directly: django-axes' backend needs a real request to check a password.
    client.force_login(get_user_model().objects.get(username=site["username"]))
    return client


def fetch(client: Client, url: str, **kwargs: Any) -> Any:
    return client.get(url, follow=True, **kwargs)


def _staff_pages(client: Client, site: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every staff URL and the pages linked from them that match the followed patterns (as the
    admin; fetched once per data set)."""
    if "_pages" in site:
        return site["_pages"]
    queue = list(site["staff"])
    done: dict[str, Any] = {}
    patterns = [re.compile(p) for p in site["follow"]]
    while queue:
        url = queue.pop(0)
        if url in done:
            continue
        done[url] = response = client.get(url)
        if response.get("Content-Type", "").startswith("text/html"):
            for link in crawler.links(response.content.decode()):
                if any(p.match(link) for p in patterns):
                    queue.append(link)
    site["_pages"] = list(done.items())
    return site["_pages"]


def check_every_page_for_every_role(site):
    admin = admin_client(site)
    anonymous = Client()
    findings: list[str] = []
    checked = 0
    html_pages = 0
    for url, response in _staff_pages(admin, site):
        checked += 1
        if response.status_code != 200:
            findings.append(f"admin {url}: {response.status_code}")
            continue
        if response["Content-Type"].startswith("text/html"):
            html_pages += 1
            findings += [
                f"admin {url}: {p}"
                for p in crawler.csp_problems(
                    response.content.decode(), response.get("Content-Security-Policy", "")
                )
            ]
    # Public by design: the home page, the health check, the API's schema and its docs (they
    # describe the API; every endpoint in it needs a token or a staff session).
    public = {"/", "/healthz", "/api/schema/", "/api/docs/"}
    for url in site["staff"]:
        checked += 1
        got = anonymous.get(url)
        path = urlsplit(url).path
        if path in public:
            continue
        if got.status_code == 200:
            findings.append(f"anonymous {url}: 200")
        elif got.status_code in (301, 302) and "/login/" not in got["Location"]:
            findings.append(f"anonymous {url}: redirected to {got['Location']}")
        elif got.status_code not in (301, 302, 401, 403, 404, 405):
            findings.append(f"anonymous {url}: {got.status_code}")
    customer = Client()
    for url in site["customer"]:
        checked += 1
        got = fetch(customer, url)
        if got.status_code != 200:
            findings.append(f"customer {url}: {got.status_code}")
        findings += [
            f"customer {url}: {p}"
            for p in crawler.csp_problems(
                got.content.decode(), got.get("Content-Security-Policy", "")
            )
        ]
    FIGURES["pages × roles"] = checked
    print(
        f"\nsecurity: pages × roles checked: {checked} ({len(site['staff'])} staff URLs × "
        f"admin/anonymous, {len(site['customer'])} customer pages; {html_pages} HTML pages "
        f"CSP-checked); findings: {len(findings)}"
    )
    assert not findings, "\n".join(findings)


def _unescaped(body: str) -> list[str]:
    return [payload for payload in XSS if payload in body]


def _get_fields(html: str) -> set[str]:
    """Names of the fields of the page's GET forms."""
    names: set[str] = set()
    in_get_form = False
    for tag in crawler.tags(html):
        if tag.name == "form":
            in_get_form = tag.attrs.get("method", "get").lower() == "get"
        elif (
            in_get_form
            and tag.name in ("input", "select", "textarea")
            and tag.attrs.get("type") not in ("submit", "hidden", "checkbox", "radio")
            and tag.attrs.get("name")
        ):
            names.add(tag.attrs["name"])
    return names


def check_xss_corpus_over_every_page_that_echoes_input(site):
    admin = admin_client(site)
    findings: list[str] = []
    tried = 0
    pages = [(u, r) for u, r in _staff_pages(admin, site) if r.status_code == 200]
    for url, response in pages:
        if not response["Content-Type"].startswith("text/html"):
            continue
        body = response.content.decode()
        tried += len(XSS)  # the stored payloads, where this page shows them
        findings += [f"{url}: stored payload unescaped: {p!r}" for p in _unescaped(body)]
        fields = _get_fields(body) | set(GENERIC_PARAMS)
        # Every payload in every field, in one request per page (the payloads joined: a field
        # that echoes its value echoes them all).
        for payload in [" ".join(XSS)]:
            query = urlencode(dict.fromkeys(sorted(fields), payload))
            separator = "&" if "?" in url else "?"
            got = admin.get(f"{url}{separator}{query}", follow=True)
            tried += len(fields) * len(XSS)
            if got.status_code >= 500:
                findings.append(f"{url} with the XSS corpus: {got.status_code}")
                continue
            if got.get("Content-Type", "").startswith("text/html"):
                text = got.content.decode()
                findings += [f"{url}?…: reflected unescaped: {p!r}" for p in _unescaped(text)]
                findings += [
                    f"{url}?…: {p}"
                    for p in crawler.csp_problems(text, got.get("Content-Security-Policy", ""))
                    if "javascript:" in p or "event handler" in p
                ]
    # The customer's own free text, as staff see it afterwards.
    for url in site["customer"][:1]:
        customer = Client()
        page = customer.get(url)
        assert page.status_code == 200
    FIGURES["xss inputs"] = tried
    print(
        f"\nsecurity: XSS payloads tried: {tried} ({len(XSS)} payloads stored and in the GET "
        f"parameters of {len(pages)} pages); findings: {len(findings)}"
    )
    assert not findings, "\n".join(findings[:50])


def _cells_of(response: Any) -> tuple[list[Any], str]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind or content[:4] == b"PK\x03\x04":
        book = load_workbook(io.BytesIO(content))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        return cells, "xlsx"
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    return [value for row in csv.reader(io.StringIO(text)) for value in row], "csv"


def _cell_findings(url: str, cells: list[Any], kind: str) -> tuple[list[str], int]:
    findings = []
    numbers = 0
    for cell in cells:
        if kind == "xlsx":
            if cell.data_type == "f":
                findings.append(f"{url}: formula cell {cell.coordinate}: {cell.value!r}")
            if cell.data_type == "n" and cell.value is not None:
                numbers += 1
            value = cell.value
        else:
            value = cell
        # In CSV a number is written as such (``-50.0``); only text can be a formula there.
        if isinstance(value, str) and is_formula_like(value) and not PLAIN_NUMBER.match(value):
            findings.append(f"{url}: cell a spreadsheet would run: {value!r}")
    return findings, numbers


def check_formula_payloads_over_every_export(site):
    admin = admin_client(site)
    findings: list[str] = []
    exports = 0
    cells_checked = 0
    xlsx_numbers = 0
    for url, response in _staff_pages(admin, site):
        kind = response.get("Content-Type", "")
        if response.status_code != 200 or not (
            kind.startswith("text/csv") or "spreadsheetml" in kind
        ):
            continue
        urls = [url]
        if "export.csv" in url:
            urls.append(url + "?encoding=cp932")
        for each in urls:
            got = admin.get(each)
            assert got.status_code == 200, each
            cells, fmt = _cells_of(got)
            found, numbers = _cell_findings(each, cells, fmt)
            findings += found
            exports += 1
            cells_checked += len(cells)
            xlsx_numbers += numbers
    # The inbox's export action (a POST) and the survey-links command.
    from voc.models import FeedbackItem

    ids = list(FeedbackItem.objects.order_by("id").values_list("id", flat=True))
    got = admin.post(
        "/admin/voc/feedbackitem/",
        {"action": "export_csv", "_selected_action": ids, "index": 0},
    )
    assert got.status_code == 200
    cells, fmt = _cells_of(got)
    findings += _cell_findings("inbox export", cells, fmt)[0]
    exports += 1
    cells_checked += len(cells)
    payload_cells = sum(1 for c in cells if isinstance(c, str) and c.startswith("'"))
    assert payload_cells >= len(FORMULAS), "the stored payloads did not reach the inbox export"
    FIGURES["formula exports"] = exports
    print(
        f"\nsecurity: formula payloads: {len(FORMULAS)} payloads stored; {exports} exports, "
        f"{cells_checked} cells checked ({xlsx_numbers} numeric xlsx cells); "
        f"findings: {len(findings)}"
    )
    assert exports >= 8
    assert xlsx_numbers > 0  # numbers stay numbers
    assert not findings, "\n".join(findings[:50])


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check_control_characters_over_every_import(site):
    from voc.models import FeedbackItem
    from voc.services import import_feedback

    before = (
        Customer.objects.count(),
        BehaviourRecord.objects.count(),
        FeedbackItem.objects.count(),
    )
    known = Customer.objects.order_by("id").values_list("external_id", flat=True).first()
    findings: list[str] = []
    tried = 0
    importers = {
        "customers": (
            ["external_id", "name"],
            lambda ch: ["X-NEW-1", f"山田{ch}太郎"],
            lambda data: imports.import_csv(
                io.BytesIO(data), kind=ImportKind.CUSTOMERS, now=timezone.now()
            ),
        ),
        "behaviours": (
            ["customer_external_id", "kind", "occurred_at", "memo"],
            lambda ch: [known, "purchase", "2026-01-05 10:00", f"メモ{ch}"],
            lambda data: imports.import_csv(
                io.BytesIO(data), kind=ImportKind.BEHAVIOURS, now=timezone.now()
            ),
        ),
        "feedback": (
            ["text", "channel"],
            lambda ch: [f"配送{ch}が遅い", "review"],
            lambda data: import_feedback(source=data),
        ),
    }
    # openpyxl refuses to write most C0 characters into a workbook; those are CSV-only.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for name, (header, row, run) in importers.items():
        for ch in CONTROL:
            files = {"csv": (",".join(header) + "\r\n" + ",".join(row(ch)) + "\r\n").encode()}
            if not ILLEGAL_CHARACTERS_RE.search(ch):
                files["xlsx"] = _xlsx([header, row(ch)])
            for fmt, data in files.items():
                tried += 1
                try:
                    run(data)
                except CsvFileError as exc:
                    where = [(e.row, e.column) for e in exc.errors]
                    if where != [(2, header[-1] if name != "feedback" else "text")] and where != [
                        (2, "name")
                    ]:
                        findings.append(f"{name} {fmt} U+{ord(ch):04X}: errors at {where}")
                except Exception as exc:
                    findings.append(f"{name} {fmt} U+{ord(ch):04X}: {exc.__class__.__name__}")
                else:
                    findings.append(f"{name} {fmt} U+{ord(ch):04X}: imported")
    after = (
        Customer.objects.count(),
        BehaviourRecord.objects.count(),
        FeedbackItem.objects.count(),
    )
    FIGURES["control imports"] = tried
    print(
        f"\nsecurity: control characters: {len(CONTROL)} characters × 3 importers × CSV/xlsx = "
        f"{tried} files; findings: {len(findings)}; rows written: "
        f"{sum(after) - sum(before)}"
    )
    assert after == before
    assert not findings, "\n".join(findings[:50])


def check_schemathesis_over_the_api(site):
    """The API fuzz of tests/api, on this data set: cases and failures printed."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from tests.api.test_schema_fuzz import run_schemathesis

    user = get_user_model().objects.get(username=site["username"])
    token, _ = Token.objects.get_or_create(user=user)
    operations, cases = run_schemathesis(token.key, max_examples=4)
    FIGURES["schemathesis cases"] = cases
    print(f"\nsecurity: schemathesis: {operations} operations, {cases} cases; findings: 0")
    assert cases >= 3 * operations


def test_security_figures(site):
    """One data set, every check; each prints its figures, all must have 0 findings."""
    failures = []
    for check in (
        check_every_page_for_every_role,
        check_xss_corpus_over_every_page_that_echoes_input,
        check_formula_payloads_over_every_export,
        check_control_characters_over_every_import,
        check_schemathesis_over_the_api,
    ):
        started = time.monotonic()
        try:
            check(site)
        except AssertionError as exc:
            failures.append(f"{check.__name__}: {exc}")
        print(f"  ({check.__name__}: {time.monotonic() - started:.1f} s)")
    print(f"\nsecurity figures: {FIGURES}")
    assert not failures, "\n\n".join(failures)
