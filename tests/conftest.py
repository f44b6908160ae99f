"""Suite-wide fixtures: real services for integration tests, a real Celery worker, a browser.

- ``-m integration`` tests need PostgreSQL (``DATABASE_URL``) and Redis (``CELERY_BROKER_URL``).
  Without them they are skipped with one line saying so; with ``REQUIRE_SERVICES=1`` (CI) a
  missing service fails the run instead.
- ``-m browser`` tests drive Debian's Chromium (/usr/bin/chromium) through Playwright.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

hypothesis_settings.register_profile("default", deadline=None, max_examples=100)
hypothesis_settings.load_profile("default")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent
_skip_lines: list[str] = []
_running_workers: list[str] = []  # the session worker's node name, once it has started


def _services_problem() -> str | None:
    """Why the integration services cannot be used, or None when they can."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL is not a PostgreSQL URL"
    if not settings.CELERY_BROKER_URL:
        return "CELERY_BROKER_URL is not set"
    try:
        import psycopg

        psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"] or "postgres",
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except Exception as exc:
        return f"PostgreSQL is not reachable ({exc.__class__.__name__})"
    try:
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis is not reachable ({exc.__class__.__name__})"
    return None


@pytest.hookimpl(trylast=True)  # after `-m` deselection: only the tests that will run count
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any("integration" in item.keywords for item in items):
        problem = _services_problem()
        if problem:
            if REQUIRE_SERVICES:
                pytest.exit(f"REQUIRE_SERVICES=1 but {problem}", returncode=1)
            marker = pytest.mark.skip(reason=f"integration services unavailable: {problem}")
            for item in items:
                if "integration" in item.keywords:
                    item.add_marker(marker)
            _skip_lines.append(f"integration tests skipped: {problem}")
    if any("browser" in item.keywords for item in items) and not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.exit(f"REQUIRE_SERVICES=1 but {problem}", returncode=1)
        marker = pytest.mark.skip(reason=f"browser tests skipped: {problem}")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(marker)
        _skip_lines.append(f"browser tests skipped: {problem}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in _skip_lines:
        terminalreporter.write_line(line, yellow=True)


# --- generic helpers --------------------------------------------------------------------------


def wait_until(predicate: Callable[[], Any], *, timeout: float = 30, interval: float = 0.2) -> Any:
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


@pytest.fixture
def wait() -> Callable[..., Any]:
    return wait_until


# --- a real Celery worker ---------------------------------------------------------------------


def _database_url_for_worker() -> str:
    db = settings.DATABASES["default"]
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture(scope="session")
def celery_worker_process(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery worker`` process on the Redis broker, using the test database."""
    from engagement.celery import app

    app.control.purge()
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_worker(),
        "DJANGO_DEBUG": "1",
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        "SURVEYS_QUIET_HOURS": "off",  # sends happen whatever the hour the suite runs
    }
    env.pop("DATABASE_TEST_NAME", None)
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "engagement",
                "worker",
                "--pool=threads",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--include=tests.engagement.probe_tasks",
                "-n",
                name,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(
            destination=[name.replace("%h", os.uname().nodename)], timeout=1
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("celery worker did not start:\n" + log_path.read_text()[-4000:])
        _running_workers.append(name.replace("%h", os.uname().nodename))
        yield process
    finally:
        _running_workers.clear()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if os.environ.get("SHOW_WORKER_LOG"):
            sys.stderr.write(log_path.read_text())


@pytest.fixture(autouse=True)
def _empty_queue_for_worker_tests(request: pytest.FixtureRequest) -> None:
    """Each worker test starts with an empty queue: tasks left over by an earlier test (whose
    rows the database flush already removed) must not delay this test's tasks."""
    if "celery_worker_process" in request.fixturenames:
        from engagement.celery import app

        app.control.purge()


def _wait_for_idle_worker(timeout: float = 120) -> None:
    """Nothing queued, reserved, scheduled or running on the session worker.

    A transactional test ends with a flush that truncates every table; a task that test enqueued
    (an import's analysis, a report) and that is still writing when the flush runs deadlocks
    it. Queued and held-back work is dropped (its rows are about to go), running work is
    waited for."""
    from engagement.celery import app

    names = list(_running_workers)
    deadline = time.monotonic() + timeout
    idle_checks = 0
    while idle_checks < 2:  # a task that just finished may have enqueued another
        if time.monotonic() > deadline:
            sys.stderr.write(f"\nthe Celery worker was still busy after {timeout} s\n")
            return
        try:
            app.control.purge()
            inspect = app.control.inspect(destination=names, timeout=2)
            reserved, scheduled, active = inspect.reserved(), inspect.scheduled(), inspect.active()
        except Exception:  # the broker is slow to answer (or a test took it down): ask again
            idle_checks = 0
            time.sleep(0.5)
            continue
        if reserved is None or scheduled is None or active is None:  # no answer yet
            idle_checks = 0
            continue
        held = [
            task.get("request", task)["id"]
            for replies in (reserved, scheduled)
            for tasks in replies.values()
            for task in tasks
        ]
        if held:
            app.control.revoke(held)
        running = sum(len(tasks) for tasks in active.values())
        idle_checks = idle_checks + 1 if not running and not held else 0
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def _idle_worker_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("serialized_rollback")
    )
    if not transactional or "integration" not in request.keywords:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so flushed after this returns
    yield
    if _running_workers:
        _wait_for_idle_worker()


@pytest.fixture(autouse=True)
def _rate_limit_cache_state() -> Iterator[None]:
    """A test that took Redis down must not leave the rate limiter counting in the database."""
    yield
    from engagement.platform import ratelimits

    ratelimits.reset_cache_state()


@pytest.fixture(autouse=True)
def _no_branding_from_an_earlier_test() -> Iterator[None]:
    """The branding a process keeps (``engagement.platform.branding``) must not outlive the test
    database rows it was read from."""
    from engagement.platform import branding

    branding.forget_cached()
    yield
    branding.forget_cached()


# --- a real browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium: Any) -> Iterator[Any]:
    """A page in a phone-sized viewport (iPhone-like, Japanese locale)."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="ja-JP",
        timezone_id="Asia/Tokyo",
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(
        viewport={"width": 1366, "height": 900}, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    yield page
    context.close()


def has_chromium() -> bool:
    return shutil.which(CHROMIUM) is not None
