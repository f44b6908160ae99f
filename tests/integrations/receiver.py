"""A local HTTP server that stands in for a webhook receiver, Slack, Teams or Chatwork.

It binds a free port, records every request (method, path, headers, raw body) and answers from a
script: each entry is (status, headers, body, delay seconds); when the script is empty it answers
as the provider does on success.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


SUCCESS = {
    "webhook": (200, {"Content-Type": "application/json"}, b'{"received":true}'),
    "slack": (200, {"Content-Type": "text/html"}, b"ok"),
    "teams": (202, {"Content-Type": "application/json"}, b""),
    "chatwork": (200, {"Content-Type": "application/json"}, b'{"message_id":"1234567890"}'),
}


class Receiver:
    def __init__(self, kind: str = "webhook") -> None:
        self.kind = kind
        self.requests: list[Received] = []
        self.script: list[tuple[int, dict[str, str], bytes, float]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Received("POST", self.path, {k: v for k, v in self.headers.items()}, body)
                    )
                    if receiver.script:
                        status, headers, answer, delay = receiver.script.pop(0)
                    else:
                        status, headers, answer = SUCCESS[receiver.kind]
                        delay = 0.0
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        delay: float = 0,
    ) -> None:
        self.script.append((status, headers or {}, body, delay))

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
