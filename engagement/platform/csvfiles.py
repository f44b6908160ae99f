"""Reading CSV files the way they arrive from Japanese Excel and other systems.

- Encoding: UTF-8 with or without BOM, or Shift_JIS (cp932), detected by a strict decode of the
  whole file (streamed, so memory stays bounded), never guessed from the first bytes only.
- Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
- Cell parsers (``parse_datetime``, ``parse_int`` …) accept what Japanese users type (全角数字,
  ``2026/11/01``, ``¥1,200``) and raise ``CellError`` with a Japanese-translatable message.
- ``CsvFileError`` carries every ``RowError`` (row, column, message) of a file; importers collect
  errors for the whole file and write nothing when there is one, unless asked to skip bad rows.
- Control characters (NUL and the other C0 characters except tab, line feed and carriage return;
  DEL; C1) are **rejected**: a file with one is refused as a whole, naming every row and column
  that has one (also with "skip bad rows": such a file was not exported as text, and a NUL would
  otherwise end in a database error). Nothing is written.
- ``read_table`` is the one interface importers use: an Excel workbook (``.xlsx``, recognised by
  its content, read with openpyxl in read-only mode, first sheet) or a CSV file, with the same
  header checks, row numbers and errors. Workbook cells are turned into the text the CSV cell
  parsers read (dates as ``YYYY-MM-DD``, whole numbers without ``.0``).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.platform.errors import InvalidInput

ENCODINGS = ("utf-8-sig", "cp932")
# C0 except tab, line feed and carriage return; DEL; C1.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
XLSX_SIGNATURE = b"PK\x03\x04"
# Single bytes 0xA0 and 0xFD-0xFF decode to these private-use characters in cp932; Excel never
# writes them, so text containing them is not Shift_JIS (e.g. a UTF-16 or binary file).
CP932_NOT_TEXT = frozenset("\uf8f0\uf8f1\uf8f2\uf8f3")
CHUNK = 1 << 20
TOKYO = ZoneInfo("Asia/Tokyo")

Source = str | os.PathLike[str] | bytes | BinaryIO


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)s, column “%(column)s”: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class CellError(ValueError):
    """A cell's value cannot be read; the message is shown to staff."""


class CsvFileError(InvalidInput):
    code = "invalid_file"

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "\n".join(str(error) for error in errors[:20])
        more = len(errors) - 20
        if more > 0:
            shown += "\n" + _("… and %(count)s more errors.") % {"count": more}
        super().__init__(
            _("The file has errors; nothing was imported.") + "\n" + shown,
            fields={"file": [str(error) for error in errors[:100]]},
        )


def _open_binary(source: Source) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, str | os.PathLike):
        return open(Path(source), "rb")
    source.seek(0)
    return source


def detect_encoding(source: Source) -> str:
    """The first of ``ENCODINGS`` that decodes the whole file strictly."""
    for encoding in ENCODINGS:
        stream = _open_binary(source)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            while chunk := stream.read(CHUNK):
                if not CP932_NOT_TEXT.isdisjoint(decoder.decode(chunk)):
                    raise UnicodeDecodeError(encoding, chunk, 0, 1, "not text")
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
        finally:
            if stream is not source:
                stream.close()
    raise InvalidInput(
        _("The file could not be read as UTF-8 or Shift_JIS (cp932). Save it as CSV (UTF-8)."),
        code="invalid_encoding",
    )


@dataclass
class CsvRows:
    """An opened CSV file: its header and an iterator of (row number, {column: value})."""

    header: list[str]
    rows: Iterator[tuple[int, dict[str, str]]]
    encoding: str


def _checked_header(raw_header: list[str], required: Iterable[str], max_columns: int) -> list[str]:
    header = [unicodedata.normalize("NFKC", name).strip() for name in raw_header]
    errors = []
    if len(header) > max_columns:
        errors.append(RowError(1, None, _("Too many columns.")))
    seen: set[str] = set()
    for name in header:
        if not name:
            errors.append(RowError(1, None, _("A column has no name.")))
        elif name in seen:
            errors.append(RowError(1, name, _("The column appears twice.")))
        seen.add(name)
    for name in required:
        if name not in seen:
            errors.append(RowError(1, name, _("The required column is missing.")))
    errors.extend(control_character_errors(1, dict(zip(header, raw_header, strict=True))))
    if errors:
        raise CsvFileError(errors)
    return header


def control_character_errors(number: int, row: dict[str, str]) -> list[RowError]:
    """A ``RowError`` for each cell of the row that holds a control character."""
    return [
        RowError(
            number,
            column,
            _(
                "The cell contains a control character (%(code)s), which cannot be imported. "
                "Remove it and save the file again."
            )
            % {"code": f"U+{ord(found.group()):04X}"},
        )
        for column, value in row.items()
        if (found := CONTROL_CHARACTERS.search(value))
    ]


def _rows(
    header: list[str], records: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as dicts; blank rows skipped. A row with a control character rejects the file: the
    rest is still scanned so that the error names every such cell (up to ``MAX_REJECTED``)."""
    rejected: list[RowError] = []
    for number, record in records:
        # One search of the joined row (tab is not a control character here) finds whether any
        # cell holds one; only then is each cell looked at.
        joined = "\t".join(record)
        if not joined.strip():
            continue
        if len(record) > len(header):
            raise CsvFileError(
                [
                    *rejected,
                    RowError(number, None, _("The row has more cells than the header.")),
                ]
            )
        if len(record) < len(header):
            record = record + [""] * (len(header) - len(record))
        row = dict(zip(header, record, strict=True))
        if CONTROL_CHARACTERS.search(joined) and (found := control_character_errors(number, row)):
            rejected.extend(found)
            if len(rejected) >= MAX_REJECTED:
                break
            continue
        if not rejected:
            yield number, row
    if rejected:
        raise CsvFileError(rejected[:MAX_REJECTED])


MAX_REJECTED = 100


def read_csv(source: Source, *, required: Iterable[str] = (), max_columns: int = 200) -> CsvRows:
    """Open a CSV file (path, bytes or binary file) and check its header.

    Raises ``CsvFileError`` for a missing, empty or duplicated header column, and (while the
    rows are read) for a control character in any cell.
    """
    encoding = detect_encoding(source)
    stream = _open_binary(source)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(text)
    try:
        raw_header = next(reader)
    except StopIteration:
        raise CsvFileError([RowError(1, None, _("The file is empty."))]) from None
    except csv.Error as exc:
        raise CsvFileError([RowError(1, None, _("Not a valid CSV file (%s).") % exc)]) from None
    header = _checked_header(raw_header, required, max_columns)

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for record in reader:
                number += 1
                yield number, record
        except csv.Error as exc:
            raise CsvFileError(
                [RowError(number + 1, None, _("Not a valid CSV row (%s).") % exc)]
            ) from None

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            yield from _rows(header, records())
        finally:
            text.detach() if stream is source else text.close()

    return CsvRows(header=header, rows=rows(), encoding=encoding)


def is_xlsx(source: Source) -> bool:
    """Whether the file is a zip archive (an Excel workbook), from its first bytes."""
    stream = _open_binary(source)
    try:
        return stream.read(len(XLSX_SIGNATURE)) == XLSX_SIGNATURE
    finally:
        if stream is source:
            stream.seek(0)
        else:
            stream.close()


def xlsx_cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(source: Source, *, required: Iterable[str] = (), max_columns: int = 200) -> CsvRows:
    """Open the first sheet of an Excel workbook (openpyxl, read-only): same checks as CSV."""
    from openpyxl import load_workbook  # imported here: only imports need it

    stream = _open_binary(source)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        if stream is not source:
            stream.close()
        raise CsvFileError(
            [RowError(1, None, _("Not a valid Excel file (%s).") % exc.__class__.__name__)]
        ) from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    cells = sheet.iter_rows(values_only=True) if sheet is not None else iter(())
    # Trailing empty cells (a formatted but empty column) are not columns.
    try:
        raw_header = [xlsx_cell_text(value) for value in next(cells)]
    except StopIteration:
        workbook.close()
        raise CsvFileError([RowError(1, None, _("The file is empty."))]) from None
    while raw_header and not raw_header[-1].strip():
        raw_header.pop()
    if not raw_header:
        workbook.close()
        raise CsvFileError([RowError(1, None, _("The file is empty."))])
    try:
        header = _checked_header(raw_header, required, max_columns)
    except CsvFileError:
        workbook.close()
        raise

    def records() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(cells, start=2):
            record = [xlsx_cell_text(value) for value in values]
            while len(record) > len(header) and not record[-1].strip():
                record.pop()
            yield number, record

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        try:
            yield from _rows(header, records())
        finally:
            workbook.close()
            if stream is not source:
                stream.close()

    return CsvRows(header=header, rows=rows(), encoding="xlsx")


def read_table(source: Source, *, required: Iterable[str] = (), max_columns: int = 200) -> CsvRows:
    """The importers' one reader: an Excel workbook (.xlsx) or a CSV file, by content."""
    reader = read_xlsx if is_xlsx(source) else read_csv
    return reader(source, required=required, max_columns=max_columns)


# --- cell parsers -----------------------------------------------------------------------------


def normalize_cell(value: str) -> str:
    if value.isascii():  # NFKC leaves ASCII as it is
        return value.strip()
    return unicodedata.normalize("NFKC", value).strip()


def parse_int(value: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``1,200``, ``¥1,200``, ``１２００円`` → 1200."""
    cleaned = normalize_cell(value).replace(",", "").replace("¥", "").replace("円", "")
    cleaned = cleaned.replace("\\", "")
    try:
        number = int(cleaned)
    except ValueError:
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
    if minimum is not None and number < minimum:
        raise CellError(_("Must be at least %(minimum)s.") % {"minimum": minimum})
    if maximum is not None and number > maximum:
        raise CellError(_("Must be at most %(maximum)s.") % {"maximum": maximum})
    return number


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
)


# The forms Excel writes (2026/04/01, 2026-4-1 10:00, 2026-04-01T10:00:05), read without
# strptime: a large import has a date on every row, and the same few values again and again.
_NUMERIC_DATETIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?"
)


@functools.lru_cache(maxsize=4096)
def _numeric_datetime(cleaned: str) -> tuple[datetime, bool] | None:
    """(value, whether a time was given) for the numeric forms; None for anything else."""
    match = _NUMERIC_DATETIME.fullmatch(cleaned)
    if match is None:
        return None
    try:
        value = datetime(*(int(part) for part in match.groups() if part is not None))
    except ValueError:
        return None
    return value, match.group(4) is not None


def parse_date(value: str) -> date:
    cleaned = normalize_cell(value)
    fast = _numeric_datetime(cleaned)
    if fast is not None and not fast[1]:
        return fast[0].date()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise CellError(
        _("“%(value)s” is not a date (use YYYY-MM-DD or YYYY/MM/DD).") % {"value": value}
    )


def parse_datetime(value: str) -> datetime:
    """A date or date-time; without a zone it is Japan time (Asia/Tokyo)."""
    cleaned = normalize_cell(value)
    fast = _numeric_datetime(cleaned)
    if fast is not None:
        return fast[0].replace(tzinfo=TOKYO)
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        parsed = None
        for fmt in DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(cleaned, fmt)
                break
            except ValueError:
                continue
        if parsed is None:
            try:
                parsed = datetime.combine(parse_date(cleaned), time())
            except CellError:
                raise CellError(
                    _("“%(value)s” is not a date and time (use YYYY-MM-DD HH:MM).")
                    % {"value": value}
                ) from None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=TOKYO)
    return parsed


def parse_bool(value: str) -> bool:
    cleaned = normalize_cell(value).lower()
    if cleaned in {"1", "true", "yes", "y", "はい", "可", "○", "◯"}:
        return True
    if cleaned in {"", "0", "false", "no", "n", "いいえ", "不可", "×"}:
        return False
    raise CellError(_("“%(value)s” is not yes/no.") % {"value": value})
