"""Benchmarks run by ``python manage.py bench`` (see the dashboard app's bench command).

``BENCHMARKS`` maps a name to ``(run, add_arguments)``: ``add_arguments(parser)`` declares the
options, ``run(**options)`` yields one dict per JSON line to print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engagement.dashboard.benchmarks.dashboard import add_dashboard_arguments, run_dashboard

BENCHMARKS: dict[str, tuple[Callable[..., Iterable[dict[str, Any]]], Callable[..., None]]] = {
    "dashboard": (run_dashboard, add_dashboard_arguments),
}
