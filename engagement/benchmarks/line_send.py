"""``manage.py bench line-send``: N LINE invitations through the outbox and a real Celery
worker to a local LINE stand-in, with the worker killed (SIGKILL) in the middle.

Needs PostgreSQL and Redis (``DATABASE_URL``, ``CELERY_BROKER_URL``). The benchmark creates its
own survey and customers (``BENCH-LINE-…``, removed afterwards), starts a LINE stand-in on
127.0.0.1 (a free port) that behaves like the Messaging API's push endpoint (200 with a request
id; 409 for a retry key it already accepted) and a worker on a queue of its own with
``LINE_API_BASE_URL`` pointing at it. After ``--kill-at`` of the sends it kills the worker,
starts a second one and sweeps the outbox (what beat does every minute) until every send is
recorded. It prints one JSON line:

- ``sent_per_second``: sends recorded per second, start to end, kill and restart included;
- ``baseline_pushes_per_second``: the same stand-in pushed to directly from one thread
  (no database, no broker), measured in the same run: the ceiling the pipeline is held to;
- ``lost``: deliveries not recorded as sent, or never accepted by the stand-in (must be 0);
- ``duplicated``: LINE user ids that received a message more than once (must be 0);
- ``retried_after_kill``: pushes the stand-in refused as repeats of an accepted retry key
  (the window between LINE's answer and our commit, closed by ``X-Line-Retry-Key``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone

QUEUE = "bench-line-send"
TOKEN = "B" * 40 + "benchLineToken"
SECRET = secrets.token_hex(16)
ROOT = Path(__file__).resolve().parents[2]


def add_line_send_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--kill-at", type=float, default=0.4, help="share sent before the kill")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed worker drops its connection: expected here


class LineStandIn:
    """The LINE push endpoint as the pipeline sees it, counting per retry key and per user."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepted: dict[str, str] = {}
        self.delivered: dict[str, int] = {}  # LINE user id -> messages that reached them
        self.repeats = 0
        self.bad = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body must not wait for a delayed ACK
            wbufsize = 1 << 16  # one write per answer (flushed at the end of the request)

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers = stand_in.answer(self.path, self.headers, body)
                payload = b"{}"
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str]]:
        if path != "/v2/bot/message/push" or headers.get("Authorization") != f"Bearer {TOKEN}":
            with self.lock:
                self.bad += 1
            return 401, {}
        key = headers.get("X-Line-Retry-Key") or ""
        to = json.loads(body).get("to", "")
        with self.lock:
            if key in self.accepted:
                self.repeats += 1
                return 409, {"x-line-accepted-request-id": self.accepted[key]}
            request_id = uuid.uuid4().hex
            self.accepted[key] = request_id
            self.delivered[to] = self.delivered.get(to, 0) + 1
        return 200, {"x-line-request-id": request_id}

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def database_url() -> str:
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        raise SystemExit("bench line-send needs PostgreSQL (DATABASE_URL) and Redis")
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _baseline(base_url: str, n: int = 500) -> float:
    body = {"to": "U" + "0" * 32, "messages": [{"type": "text", "text": "x"}]}
    with httpx.Client(timeout=5) as client:
        start = time.perf_counter()
        for _i in range(n):
            client.post(
                base_url + "/v2/bot/message/push",
                json=body,
                headers={"Authorization": f"Bearer {TOKEN}", "X-Line-Retry-Key": str(uuid.uuid4())},
            )
        return n / (time.perf_counter() - start)


def _start_worker(name: str, base_url: str, log: Any, concurrency: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        "LINE_API_BASE_URL": base_url,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_CHANNEL_SECRET": SECRET,
        "SURVEYS_QUIET_HOURS": "off",
        "OUTBOX_LEASE_SECONDS": "3",
        "OUTBOX_RESEND_AFTER_SECONDS": "1",
        "CELERY_VISIBILITY_TIMEOUT": "10",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_TEST_NAME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "engagement", "worker", "--pool=threads",
         f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-gossip",
         "--without-mingle", "-Q", QUEUE, "-n", name],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait(predicate: Any, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run_line_send(**options: Any) -> Iterator[dict[str, Any]]:
    from engagement.celery import app
    from engagement.customers.models import Customer
    from engagement.platform import outbox
    from engagement.platform.models import OutboxMessage, OutboxState
    from surveys import services
    from surveys.models import ChannelAccount, Delivery, DeliveryStatus, Wave

    if ChannelAccount.objects.filter(channel="line", enabled=True).exists():
        raise SystemExit("an enabled LINE channel is saved in the admin: not benchmarking on it")
    n = int(options.get("invitations") or 10_000)
    kill_at = float(options.get("kill_at") or 0.4)
    concurrency = int(options.get("concurrency") or 2)
    timeout = float(options.get("timeout") or 900)
    tag = uuid.uuid4().hex[:8]
    stand_in = LineStandIn()
    baseline = _baseline(stand_in.base_url)
    stand_in.delivered.clear()
    stand_in.accepted.clear()

    # The sweep in this process uses the same short lease as the workers.
    settings.OUTBOX_LEASE_SECONDS = 3
    settings.OUTBOX_RESEND_AFTER_SECONDS = 1
    settings.LINE_API_BASE_URL = stand_in.base_url
    settings.LINE_CHANNEL_ACCESS_TOKEN = TOKEN
    settings.LINE_CHANNEL_SECRET = SECRET
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = QUEUE
    log_path = Path(settings.BASE_DIR) / "var" / f"bench-line-send-{tag}.log"
    log_path.parent.mkdir(exist_ok=True)
    workers: list[subprocess.Popen[bytes]] = []
    wave = survey = None
    try:
        now = timezone.now()
        wave = Wave.objects.create(
            name=f"bench-line-{tag}", starts_on=now.date(), ends_on=now.date()
        )
        survey = services.create_template_survey(
            title="LINE送信ベンチマーク", brand_name="ベンチ", wave=wave, slug=f"bench-line-{tag}"
        )
        services.open_survey(survey=survey)
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    external_id=f"BENCH-LINE-{tag}-{i}",
                    line_user_id="U" + uuid.uuid4().hex,
                    contact_allowed=True,
                )
                for i in range(n)
            ],
            batch_size=2000,
        )
        services.create_invitations(survey=survey, customers=customers, now=now)
        app.control.purge()
        with open(log_path, "ab") as log:
            workers.append(
                _start_worker(f"bench-line-1-{tag}@%h", stand_in.base_url, log, concurrency)
            )
            start = time.perf_counter()
            with transaction.atomic():
                queued = services.queue_invitations(survey=survey, now=timezone.now(), limit=None)
            sent = Delivery.objects.filter(invitation__survey=survey, status=DeliveryStatus.SENT)
            if not _wait(lambda: stand_in.count() >= n * kill_at, timeout=timeout):
                raise SystemExit("no progress before the kill:\n" + log_path.read_text()[-3000:])
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            at_kill = stand_in.count()
            killed_at = time.perf_counter() - start
            workers.append(
                _start_worker(f"bench-line-2-{tag}@%h", stand_in.base_url, log, concurrency)
            )

            progress: list[tuple[float, int]] = []

            def all_sent() -> bool:
                outbox.sweep()  # what beat does every minute
                count = sent.count()
                if not progress or progress[-1][1] != count:
                    progress.append((round(time.perf_counter() - start, 1), count))
                return count >= n

            finished = _wait(all_sent, timeout=timeout, interval=0.5)
            elapsed = time.perf_counter() - start
            time.sleep(4)  # late redeliveries (visibility timeout) must change nothing
            outbox.sweep()
            time.sleep(1)
        rows = Delivery.objects.filter(invitation__survey=survey)
        users = set(rows.values_list("invitation__customer__line_user_id", flat=True))
        not_sent = rows.exclude(status=DeliveryStatus.SENT).count()
        never_reached = len(users - set(stand_in.delivered))
        stuck: Counter[str] = Counter()
        if not_sent:  # what a failed run needs to be understood: where the rest stopped
            unsent = rows.exclude(status=DeliveryStatus.SENT).values_list("status", "error")
            stuck.update(f"delivery {status}: {error[:120]}" for status, error in unsent)
            undone = OutboxMessage.objects.exclude(state=OutboxState.DONE)
            stuck.update(
                f"outbox {state}: {error[:160]}"
                for state, error in undone.values_list("state", "last_error")
            )
        yield {
            "benchmark": "line-send",
            "invitations": n,
            "queued": queued,
            "finished": finished,
            "seconds": round(elapsed, 2),
            "sent_per_second": round(n / elapsed, 1),
            "baseline_pushes_per_second": round(baseline, 1),
            "share_of_baseline": round((n / elapsed) / baseline, 3),
            "worker_killed_after_seconds": round(killed_at, 2),
            "accepted_at_kill": at_kill,
            "retried_after_kill": stand_in.repeats,
            "lost": not_sent + never_reached,
            "duplicated": sum(1 for c in stand_in.delivered.values() if c > 1),
            "unexpected_requests": stand_in.bad,
            "worker_concurrency": concurrency,
            "progress_after_kill": progress[-8:],  # (seconds, sends recorded)
            **({"stuck": dict(stuck), "log": str(log_path)} if stuck else {}),
        }
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
        app.conf.task_default_queue = previous_queue
        stand_in.stop()
        if survey is not None:
            Customer.objects.filter(external_id__startswith=f"BENCH-LINE-{tag}-").delete()
            survey.delete()
        if wave is not None:
            wave.delete()
