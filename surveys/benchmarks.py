"""``python manage.py bench submit``: customers answering the real survey pages under load.

The production configuration as the README runs it — ``DJANGO_DEBUG=0``, ``collectstatic``,
gunicorn (``--workers``, default 2) on PostgreSQL with the Redis broker — serves the template
survey (NPS, reason, the eight awareness statements, touchpoint, CSAT, ideas) to personal links
of bench customers. A load generator on loopback (asyncio, ``--concurrency`` respondents at a
time, for ``--seconds`` in all) behaves as a phone would: it opens the link, fills every
question of the page it gets, posts it with the CSRF cookie and token, follows the 303 to the
next page, and so on to the thank-you page. The baseline is the same load against a trivial
view of the same server (``/healthz``: one ``SELECT 1``), measured in the same run: the two
alternate in ``--rounds`` slices, so that other work starting or stopping on the machine
affects both alike.

Printed (one JSON object): ``rps`` (requests a second on the survey path), ``baseline_rps``,
``ratio``, ``p50_ms``/``p99_ms`` of the survey requests, ``submissions`` and
``submissions_per_second``, ``errors`` (unexpected status or connection failure) and
``duplicates`` (invitations with more than one response, or completed responses that differ
from the number of thank-you redirects). Needs ``DATABASE_URL`` (PostgreSQL) and
``CELERY_BROKER_URL``; rate limits are off in the bench server (one client address sends all the
load) and HTTPS redirects too (plain HTTP on loopback), and so is the minimum time on page (no
think time is simulated); the honeypot field stays empty.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from surveys.ratelimits import HONEYPOT_FIELD

BENCHMARKS: dict[str, tuple[Callable[..., Iterable[dict[str, Any]]], Callable[..., None]]] = {}

PREFIX = "bench-submit-"
ROOT = Path(__file__).resolve().parent.parent
COMMENTS = (
    "店員さんの説明が丁寧で助かりました。",
    "アプリのログインがたまに失敗します",
    "配送が思ったより早くて嬉しいです！",
    "ポイントの有効期限が分かりにくい…",
    "特にありません",
)


def add_submit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each run")
    parser.add_argument("--concurrency", type=int, default=16, help="respondents at a time")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating baseline/survey slices (default 3)"
    )
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    parser.add_argument("--invitations", type=int, default=20000)


# --- a small HTTP/1.1 client (gunicorn's sync workers close each connection) ---------------------


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k == name), "")


async def _request(
    port: int, method: str, path: str, *, cookies: dict[str, str], form: dict[str, Any] | None
) -> Reply:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = urlencode(form or {}, doseq=True).encode() if form is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _sep, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in header_lines:
        name, _colon, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    for name, value in headers:
        if name == "set-cookie":
            key, _eq, rest = value.partition("=")
            cookies[key] = rest.split(";", 1)[0]
    return Reply(int(status_line.split()[1]), headers, payload)


class _SurveyForm(HTMLParser):
    """The fields of a survey page, answered as a respondent would."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng
        self.hidden: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.checkboxes: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "hidden":
                self.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.options.setdefault(name, []).append(a.get("value", ""))
            elif kind == "checkbox":
                self.checkboxes.setdefault(name, []).append(a.get("value", ""))
            elif kind in {"text", "number", "email"} and name != HONEYPOT_FIELD:
                self.texts.append(name)  # the honeypot stays empty, as people leave it
        elif tag == "textarea" and name:
            self.texts.append(name)
        elif tag == "select" and name:
            self._select = name
            self.options.setdefault(name, [])
        elif tag == "option" and self._select and a.get("value"):
            self.options[self._select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def answers(self) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.hidden)
        for name, choices in self.options.items():
            if choices:
                values[name] = self.rng.choice(choices)
        for name, choices in self.checkboxes.items():
            values[name] = [self.rng.choice(choices)]
        for name in self.texts:
            values[name] = self.rng.choice(COMMENTS)
        values["action"] = "next"
        return values


@dataclass
class _Load:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    submissions: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def add(self, other: _Load) -> None:
        self.latencies += other.latencies
        self.requests += other.requests
        self.submissions += other.submissions
        self.errors += other.errors
        self.error_samples = (self.error_samples + other.error_samples)[:5]

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


async def _timed(load: _Load, coro: Any) -> Reply:
    started = time.perf_counter()
    reply = await coro
    load.latencies.append(time.perf_counter() - started)
    load.requests += 1
    return reply


async def _respondent(port: int, token: str, load: _Load, rng: random.Random) -> None:
    cookies: dict[str, str] = {}
    path = f"/s/{token}/"
    reply = await _timed(load, _request(port, "GET", path, cookies=cookies, form=None))
    for _page in range(20):
        if reply.status != 200:
            load.fail(f"GET {reply.status}")
            return
        parser = _SurveyForm(rng)
        parser.feed(reply.body.decode("utf-8", "replace"))
        posted = await _timed(
            load, _request(port, "POST", path, cookies=cookies, form=parser.answers())
        )
        location = urlsplit(posted.header("location")).path
        if posted.status != 303 or not location:
            load.fail(f"POST {posted.status}")
            return
        reply = await _timed(load, _request(port, "GET", location, cookies=cookies, form=None))
        if location.endswith("/thanks/"):
            if reply.status == 200:
                load.submissions += 1
            else:
                load.fail(f"thanks {reply.status}")
            return
    load.fail("more than 20 pages")


async def _drive(
    *, port: int, seconds: float, concurrency: int, work: Callable[[_Load], Any]
) -> tuple[_Load, float]:
    load = _Load()
    deadline = time.perf_counter() + seconds

    async def user() -> None:
        while time.perf_counter() < deadline:
            try:
                await work(load)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
                load.fail(exc.__class__.__name__)

    started = time.perf_counter()
    await asyncio.gather(*(user() for _i in range(concurrency)))
    return load, time.perf_counter() - started


# --- the run ---------------------------------------------------------------------------------


def _seed(invitations: int) -> list[str]:
    """A fresh open template survey with ``invitations`` personal links; returns the tokens."""
    from django.utils import timezone

    from engagement.customers.models import Customer
    from surveys import services, tokens
    from surveys.models import Invitation, Survey, Wave

    Survey.objects.filter(slug__startswith=PREFIX).delete()
    Customer.objects.filter(external_id__startswith=PREFIX).delete()
    today = timezone.localdate()
    wave, _created = Wave.objects.get_or_create(
        name=f"{PREFIX}wave",
        defaults={"starts_on": today, "ends_on": today + timedelta(days=365)},
    )
    survey = services.create_template_survey(
        title="Bench", brand_name="ベンチ", wave=wave, slug=f"{PREFIX}{secrets.token_hex(4)}"
    )
    services.open_survey(survey=survey, now=timezone.now())
    customers = Customer.objects.bulk_create(
        [Customer(external_id=f"{PREFIX}{i}") for i in range(invitations)], batch_size=5000
    )
    nonces = [tokens.new_nonce() for _c in customers]
    Invitation.objects.bulk_create(
        [
            Invitation(survey=survey, customer=c, nonce=n)
            for c, n in zip(customers, nonces, strict=True)
        ],
        batch_size=5000,
    )
    # Statistics of the tables just filled, as autovacuum's analyze keeps them in production:
    # with those of before the seeding, the planner reads a token's invitation with sequential
    # scans and nested loops over every response (0.3 s a page, seconds at p99 under load).
    from django.db import connection

    from surveys.models import Answer, Response

    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (Customer, Invitation, Response, Answer)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
    return [tokens.make_token(n, tokens.PERSONAL) for n in nonces]


def _server_env(port: int) -> dict[str, str]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,  # the links above are signed with it
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL or "",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "RATELIMIT_ENABLE": "0",
        # The respondents answer at machine speed: no think time is simulated.
        "SURVEYS_MIN_SECONDS_ON_PAGE": "0",
        "LOG_LEVEL": "WARNING",
    }


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited while starting")
        try:
            reply = asyncio.run(_request(port, "GET", "/healthz", cookies={}, form=None))
            if reply.status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def run_submit(**options: Any) -> Iterator[dict[str, Any]]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count

    from surveys.models import Response, ResponseStatus

    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        raise RuntimeError("bench submit needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL")
    call_command("migrate", verbosity=0, interactive=False)
    tokens_left = iter(_seed(options["invitations"]))
    port = options["port"] or _free_port()
    env = _server_env(port)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT, env={**env, "DJANGO_STATIC_ROOT": folder}, check=True,
        )  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "engagement.wsgi", "--workers",
             str(options["workers"]), "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
            cwd=ROOT, env={**env, "DJANGO_STATIC_ROOT": folder},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _wait_for(port, server)
            rng = random.Random(1)

            async def trivial(load: _Load) -> None:
                reply = await _timed(load, _request(port, "GET", "/healthz", cookies={}, form=None))
                if reply.status != 200:
                    load.fail(f"healthz {reply.status}")

            async def respond(load: _Load) -> None:
                await _respondent(port, next(tokens_left), load, rng)

            rounds = max(1, options["rounds"])
            common = {
                "port": port,
                "seconds": options["seconds"] / rounds,
                "concurrency": options["concurrency"],
            }
            # Baseline and survey load alternate in ``rounds`` slices, so that a change in what
            # else runs on the machine weighs on both sides of the ratio alike.
            baseline, load = _Load(), _Load()
            baseline_elapsed = elapsed = 0.0
            for _round in range(rounds):
                part, seconds = asyncio.run(_drive(work=trivial, **common))
                baseline.add(part)
                baseline_elapsed += seconds
                part, seconds = asyncio.run(_drive(work=respond, **common))
                load.add(part)
                elapsed += seconds
        finally:
            server.terminate()
            server.wait(timeout=30)
    responses = Response.objects.filter(survey__slug__startswith=PREFIX)
    completed = responses.filter(status=ResponseStatus.COMPLETED).count()
    doubled = responses.values("invitation").annotate(n=Count("id")).filter(n__gt=1).count()
    rps = load.requests / elapsed
    baseline_rps = baseline.requests / baseline_elapsed
    yield {
        "name": "submit",
        "workers": options["workers"],
        "concurrency": options["concurrency"],
        "seconds": round(elapsed, 1),
        "rounds": rounds,
        "rps": round(rps, 1),
        "baseline_rps": round(baseline_rps, 1),
        "ratio": round(rps / baseline_rps, 3) if baseline_rps else None,
        "p50_ms": round(statistics.median(load.latencies) * 1000, 1) if load.latencies else None,
        "p99_ms": round(_percentile(load.latencies, 0.99) * 1000, 1),
        "baseline_p99_ms": round(_percentile(baseline.latencies, 0.99) * 1000, 1),
        "requests": load.requests,
        "submissions": load.submissions,
        "submissions_per_second": round(load.submissions / elapsed, 1),
        "completed_responses": completed,
        "duplicates": doubled + abs(completed - load.submissions),
        "errors": load.errors + baseline.errors,
        "error_samples": load.error_samples + baseline.error_samples,
    }


BENCHMARKS["submit"] = (run_submit, add_submit_arguments)
