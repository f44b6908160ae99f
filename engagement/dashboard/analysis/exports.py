"""Tables as downloads: CSV (UTF-8 with BOM, or Shift_JIS/cp932 for older Excel) and xlsx.

Every text cell goes through ``engagement.platform.spreadsheets.neutralise`` (formula injection);
numbers stay numbers. cp932 cannot encode every character (emoji, some symbols): those become
"?" rather than failing the download.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from engagement.platform.spreadsheets import neutralise

ENCODINGS = {"utf-8": "utf-8-sig", "cp932": "cp932"}
FORMATS = ("csv", "xlsx")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def csv_bytes(columns: Sequence[Any], rows: Sequence[Sequence[Any]], *, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in columns])
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return buffer.getvalue().encode(ENCODINGS[encoding], errors="replace")


def xlsx_bytes(title: str, columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = neutralise(title)[:31] or "Sheet1"
    sheet.append([_cell(c) for c in columns])
    for row in rows:
        sheet.append([None if c is None else _cell(c) for c in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: openpyxl would read "=…" as a formula
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def download(
    name: str,
    title: str,
    columns: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    file_format: str,
    encoding: str = "utf-8",
) -> HttpResponse:
    """The table as an attachment; ``file_format`` and ``encoding`` already validated."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "xlsx":
        response = HttpResponse(
            xlsx_bytes(title, columns, rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.xlsx"'
        return response
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    response = HttpResponse(
        csv_bytes(columns, rows, encoding=encoding), content_type=f"text/csv; charset={charset}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
