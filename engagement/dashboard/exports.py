"""CSV downloads: UTF-8 with BOM (Japanese Excel opens it), formula injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from engagement.platform.spreadsheets import cell as _cell


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(column) for column in columns])
    for row in rows:
        writer.writerow([_cell(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
