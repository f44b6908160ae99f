"""Broker outages for integration tests: a closed port, or a port that never answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kombu import pools

CLOSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _reset_connections() -> None:
    from engagement.celery import app

    pools.reset()  # kombu's process-wide connection and producer pools
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point the web side's Celery app (publishing only) at another broker URL.

    ``broker_write_url`` is what publishing uses; the worker process is not affected.
    """
    from engagement.celery import app

    original = app.conf.broker_write_url
    app.conf.broker_write_url = url
    _reset_connections()
    try:
        yield
    finally:
        app.conf.broker_write_url = original
        _reset_connections()


@contextmanager
def black_hole(port: int = 0) -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in accepted:
            conn.close()
        server.close()
