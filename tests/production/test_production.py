"""Production tested as it runs (``make production-check``; README, "Production").

The README's steps on PostgreSQL and Redis: ``DJANGO_DEBUG=0`` with the required variables,
``migrate``, ``collectstatic --noinput`` (hashed, compressed manifest storage), a small seed, then
gunicorn with 2 workers serving the app and its static files (WhiteNoise) behind what a
TLS-terminating proxy sends (``X-Forwarded-Proto: https``). Every staff page the URL resolver
and the admin registry know is fetched as a logged-in admin, every customer page as a customer,
and the API schema; each must answer 200 with a Content-Security-Policy, and every stylesheet,
script and image it names must answer 200 with the right content type.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from tests.production import crawler

pytestmark = [pytest.mark.integration, pytest.mark.production]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "prod-check-" + "s3cr3t-" * 8


def _free_port() -> int:
    """A port the system has just handed out (another suite on this machine never gets it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database() -> tuple[dict[str, Any], str]:
    db = settings.DATABASES["default"]
    base = os.environ.get("DATABASE_URL", "")
    name = (base.rsplit("/", 1)[-1] or "engagement_it") + "_production"
    return db, name


def _admin_connection(db: dict[str, Any]) -> psycopg.Connection:
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )


def production_env(database_name: str, port: int) -> dict[str, str]:
    db, _name = _database()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE", "CELERY_", "REDIS_", "RATELIMIT"))
    }
    return {
        **clean,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1jaGVjay1maWVsZC1rZXktMDEyMzQ=",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{database_name}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "REDIS_URL": os.environ.get("REDIS_URL", settings.CELERY_BROKER_URL),
        "SITE_URL": f"https://127.0.0.1:{port}",
        # The browser test talks to gunicorn directly (no TLS proxy in front): its Origin is
        # http://localhost:PORT, as a proxy's would be https://engage.example.jp.
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://localhost:{port}",
        "PYTHONUNBUFFERED": "1",
    }


def run(args: list[str], env: dict[str, str], timeout: int = 600) -> str:
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    db, name = _database()
    port = _free_port()
    env = production_env(name, port)
    with _admin_connection(db) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    log_path = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    process = None
    try:
        started = time.monotonic()
        run([sys.executable, "manage.py", "migrate", "--noinput"], env)
        run([sys.executable, "manage.py", "collectstatic", "--noinput", "--clear"], env)
        seeded = json.loads(
            run([sys.executable, "tests/production/seed.py"], env).strip().splitlines()[-1]
        )
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "engagement.wsgi",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if crawler.Client(base).get("/healthz").status_code == 200:
                    break
            except Exception:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + log_path.read_text()[-4000:])
            time.sleep(0.3)
        seeded["base"] = base
        seeded["setup_seconds"] = round(time.monotonic() - started, 1)
        seeded["log"] = log_path
        yield seeded
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with _admin_connection(db) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def crawl(client: crawler.Client, urls: list[str], follow: list[str]) -> dict[str, Any]:
    """Fetch every page and every asset it names; return the findings and the counts."""
    findings: list[str] = []
    seen_assets: dict[str, int] = {}
    pages = 0
    queue = list(urls)
    done: set[str] = set()
    patterns = [re.compile(p) for p in follow]
    while queue:
        url = queue.pop(0)
        if url in done:
            continue
        done.add(url)
        response = client.get(url, follow=True)
        pages += 1
        if response.status_code != 200:
            findings.append(f"{url}: {response.status_code}")
            continue
        kind = response.headers.get("Content-Type", "")
        if not kind.startswith("text/html"):
            continue
        findings += [
            f"{url}: {problem}"
            for problem in crawler.csp_problems(
                response.text, response.headers.get("Content-Security-Policy", "")
            )
        ]
        for asset in crawler.assets(response.text):
            if asset.startswith(("http://", "https://", "//")):
                findings.append(f"{url}: names an asset on another site: {asset}")
                continue
            if asset not in seen_assets:
                got = client.get(asset)
                seen_assets[asset] = got.status_code
                if got.status_code != 200:
                    findings.append(f"{url}: asset {asset} answers {got.status_code}")
                elif not crawler.content_type_ok(asset, got.headers.get("Content-Type", "")):
                    findings.append(
                        f"{url}: asset {asset} has content type {got.headers['Content-Type']}"
                    )
        for link in crawler.links(response.text):
            if any(p.match(link) for p in patterns) and link not in done:
                queue.append(link)
    return {"findings": findings, "pages": pages, "assets": len(seen_assets)}


def test_collectstatic_wrote_a_manifest_with_every_vendored_file(site):
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())
    assert "dashboard/vendor/chart.umd.min.js" in manifest["paths"]
    assert "engagement/importjob.js" in manifest["paths"]


def test_every_staff_page_answers_200_with_its_assets_as_an_admin(site):
    client = crawler.Client(site["base"])
    client.login(site["username"], site["password"], site["recovery_codes"])
    result = crawl(client, site["staff"], site["follow"])
    print(
        f"\nproduction crawl (admin): {result['pages']} pages, {result['assets']} assets, "
        f"{len(result['findings'])} findings; excluded patterns: {len(site['excluded'])}"
    )
    for pattern, reason in sorted(site["excluded"].items()):
        print(f"  excluded {pattern}: {reason}")
    assert result["pages"] >= 60, result
    assert any(
        u.startswith("/admin/voc/topics/") and u != "/admin/voc/topics/" for u in site["staff"]
    )
    assert any(u.startswith("/reports/") and u.endswith("export.xlsx") for u in site["staff"])
    assert not result["findings"], "\n".join(result["findings"])


def test_every_customer_page_answers_200_with_its_assets_as_a_customer(site):
    client = crawler.Client(site["base"])
    result = crawl(client, site["customer"], [])
    print(f"\nproduction crawl (customer): {result['pages']} pages, {result['assets']} assets")
    assert result["pages"] == len(site["customer"])
    assert not result["findings"], "\n".join(result["findings"])


def test_a_customer_answers_a_personal_link_through_gunicorn(site):
    """The production cookies (Secure, CSRF) and the customer flow work end to end."""
    client = crawler.Client(site["base"])
    url = site["customer"][0]
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    stamp = re.search(r'name="rendered" value="([^"]+)"', page.text)
    time.sleep(float(site.get("min_seconds", 2.1)))
    data = {"csrfmiddlewaretoken": token, "page": "1", "action": "next", "q-nps": "8"}
    if stamp:
        data["rendered"] = stamp.group(1)
    response = client.request("POST", url, data=data, headers={"Origin": "null"})
    assert response.status_code == 303, (response.status_code, response.text[:400])
    assert client.get(url).status_code == 200


def test_api_schema_and_docs_as_an_admin(site):
    client = crawler.Client(site["base"])
    client.login(site["username"], site["password"], site["recovery_codes"])
    schema = client.get("/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert not crawler.csp_problems(docs.text, docs.headers["Content-Security-Policy"])


def test_security_headers_in_production(site):
    client = crawler.Client(site["base"])
    response = client.get("/admin/login/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookies = response.raw.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies
    plain = crawler.Client(site["base"]).session.get(
        site["base"] + "/admin/login/", allow_redirects=False, timeout=30
    )
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")


@pytest.mark.browser
def test_pages_work_in_a_browser_under_the_csp(site, chromium):
    """Chromium through gunicorn: no Content-Security-Policy violation on the pages that run
    scripts (dashboard charts, Swagger UI, import job, report print button, admin widgets,
    the customer's survey page), and the scripts really ran."""
    context = chromium.new_context(
        extra_http_headers={"X-Forwarded-Proto": "https"}, locale="ja-JP"
    )
    context.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    # Chromium keeps Secure cookies over plain HTTP for localhost only.
    base = site["base"].replace("127.0.0.1", "localhost")
    violations: dict[str, list[str]] = {}
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", site["username"])
    page.fill("#id_password", site["password"])
    page.click("input[type=submit]")
    page.wait_for_load_state()
    if "/accounts/two-factor/" in page.url:  # administrators give a second factor
        page.fill("#id_token", site["recovery_codes"].pop())
        page.press("#id_token", "Enter")
        page.wait_for_load_state()
    assert page.url.endswith("/admin/"), (page.url, page.content()[:1500])

    def visit(path: str, ready: str | None = None) -> None:
        page.goto(base + path)
        if ready:
            page.wait_for_function(ready, timeout=20000)
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found

    visit("/admin/dashboard/", "document.body.dataset.chartsDrawn > 0")
    visit("/api/docs/", "document.querySelector('.swagger-ui .info') !== null")
    report = next(u for u in site["staff"] if re.fullmatch(r"/reports/\d+/", u))
    visit(report)
    visit("/admin/voc/topics/")
    visit("/admin/voc/feedbackitem/")
    visit("/admin/engagement/customer/add/")
    visit("/admin/surveys/survey/")
    topic = next(u for u in site["staff"] if re.fullmatch(r"/admin/voc/topics/\d+/", u))
    visit(topic)
    visit(site["customer"][0])
    csp_console = [line for line in console if "Content Security Policy" in line]
    # The detector works: an inline script added now is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_function("window.__csp.length > 0", timeout=5000)
    assert page.evaluate("window.x") is None
    context.close()
    assert not violations and not csp_console, (violations, csp_console)
