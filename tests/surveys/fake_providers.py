"""Local stand-ins for the LINE Messaging API and Twilio, for tests and the benchmark.

Each one is a real HTTP server on 127.0.0.1 (port 0: a free port) in a thread. It checks the
exact request the provider would get (path, headers, auth, JSON or form shape) and answers as
the provider does: LINE answers 200 with ``x-line-request-id``, and 409 with
``x-line-accepted-request-id`` for a retry key it already accepted; Twilio answers 201 with a
message ``sid``. ``script`` queues answers to give instead (401, 429 with Retry-After, 500, a
delay longer than the client's timeout). ``problems`` lists every request that did not look
like the provider's API expects; a test asserts it is empty.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LINE_TOKEN = "T" * 20 + "lineTokenForTests0123456789+/="
LINE_SECRET = "0123456789abcdef0123456789abcdef"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "fedcba9876543210fedcba9876543210"
TWILIO_FROM = "+815012345678"


@dataclass
class Answer:
    status: int
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that times out or a killed worker drops its connection


class FakeProvider:
    kind = "base"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.script: list[Answer] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body must not wait for a delayed ACK
            wbufsize = 1 << 16  # one write per answer (flushed at the end of the request)

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = provider.handle(self.path, dict(self.headers.items()), body)
                if answer.delay:
                    time.sleep(answer.delay)
                payload = json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def scripted(self) -> Answer | None:
        with self.lock:
            return self.script.pop(0) if self.script else None

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        raise NotImplementedError


class FakeLine(FakeProvider):
    """``POST /v2/bot/message/push`` of the LINE Messaging API."""

    kind = "line"

    def __init__(self, token: str = LINE_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.accepted: dict[str, str] = {}  # retry key -> request id
        self.pushes: dict[str, int] = {}  # retry key -> pushes that reached the user

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        h = {k.lower(): v for k, v in headers.items()}
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        with self.lock:
            self.requests.append({"path": path, "headers": h, "json": data})
        if path != "/v2/bot/message/push":
            self.problem(f"path {path}")
            return Answer(404, {"message": "Not found"})
        if h.get("authorization") != f"Bearer {self.token}":
            return Answer(401, {"message": "Authentication failed. Confirm that the access token in the authorization header is valid."})  # fmt: skip  # noqa: E501
        if not h.get("content-type", "").startswith("application/json"):
            self.problem(f"content-type {h.get('content-type')}")
        key = h.get("x-line-retry-key", "")
        if not UUID_RE.match(key):
            self.problem(f"retry key {key!r}")
        shape_ok = (
            isinstance(data, dict)
            and re.match(r"^U[0-9a-f]{32}$", str(data.get("to", "")))
            and isinstance(data.get("messages"), list)
            and 1 <= len(data["messages"]) <= 5
            and data["messages"][0].get("type") == "text"
            and data["messages"][-1].get("template", {}).get("type") == "buttons"
            and len(data["messages"][-1]["template"]["text"]) <= 160
            and len(data["messages"][-1]["template"]["actions"][0]["label"]) <= 20
            and data["messages"][-1]["template"]["actions"][0]["uri"].startswith("http")
        )
        if not shape_ok:
            self.problem(f"body {data!r}")
            return Answer(400, {"message": "The request body has 1 error(s)", "details": [{"message": "invalid", "property": "messages"}]})  # fmt: skip  # noqa: E501
        scripted = self.scripted()
        if scripted is not None:
            return scripted
        with self.lock:
            if key in self.accepted:
                return Answer(
                    409,
                    {"message": "The retry key is already accepted"},
                    {"x-line-accepted-request-id": self.accepted[key]},
                )
            request_id = uuid.uuid4().hex
            self.accepted[key] = request_id
            self.pushes[key] = self.pushes.get(key, 0) + 1
        return Answer(200, {"sentMessages": [{"id": "1", "quoteToken": "q"}]}, {"x-line-request-id": request_id})  # fmt: skip  # noqa: E501


class FakeTwilio(FakeProvider):
    """``POST /2010-04-01/Accounts/{sid}/Messages.json`` of Twilio's REST API."""

    kind = "twilio"

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        h = {k.lower(): v for k, v in headers.items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            self.requests.append({"path": path, "headers": h, "form": form})
        if path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            self.problem(f"path {path}")
            return Answer(404, {"code": 20404, "message": "The requested resource was not found"})
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if h.get("authorization") != expected:
            return Answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if not h.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            self.problem(f"content-type {h.get('content-type')}")
        allowed = {"To", "From", "Body", "StatusCallback"}
        if not {"To", "From", "Body"} <= set(form) <= allowed or not re.match(
            r"^\+[1-9]\d{7,14}$", form["To"]
        ):
            self.problem(f"form {form!r}")
            return Answer(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400})  # fmt: skip  # noqa: E501
        scripted = self.scripted()
        if scripted is not None:
            return scripted
        return Answer(201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued", "to": form["To"]})
