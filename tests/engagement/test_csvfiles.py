"""CSV files from Japanese Excel and other systems: encodings, row numbers, cell parsing."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engagement.platform.csvfiles import (
    CellError,
    CsvFileError,
    detect_encoding,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
    read_csv,
)
from engagement.platform.errors import InvalidInput

# ～ is U+FF5E: what Windows Excel writes for 〜 in Shift_JIS (0x8160 decodes to it in cp932).
TEXT = "text,channel\r\n配送が遅いです。ｱﾌﾟﾘも使いにくい,review\r\n①②、～～ 髙橋,sns\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp932"), "cp932"),
    ],
)
def test_excel_encodings_read_to_the_same_rows(data: bytes, encoding: str):
    table = read_csv(data, required=["text"])
    assert table.encoding == encoding
    assert table.header == ["text", "channel"]
    rows = list(table.rows)
    assert rows == [
        (2, {"text": "配送が遅いです。ｱﾌﾟﾘも使いにくい", "channel": "review"}),
        (3, {"text": "①②、～～ 髙橋", "channel": "sns"}),
    ]


def test_cp932_detected_even_when_the_first_megabyte_is_ascii():
    data = ("text\r\n" + "a\r\n" * 600_000 + "解約したい\r\n").encode("cp932")
    assert detect_encoding(data) == "cp932"
    rows = list(read_csv(data).rows)
    assert rows[-1] == (600_002, {"text": "解約したい"})


@pytest.mark.parametrize(
    "data",
    [b"text\n\x81 \n", b"text\n\xff\xfe\xfa\xfb\n", "text\n解約\n".encode("utf-16")],
)
def test_neither_utf8_nor_cp932_is_refused_with_a_clear_message(data: bytes):
    with pytest.raises(InvalidInput) as error:
        read_csv(data)
    assert error.value.code == "invalid_encoding"


def test_missing_and_duplicate_header_columns_name_the_column():
    with pytest.raises(CsvFileError) as error:
        read_csv(b"channel,channel\nx,y\n", required=["text"])
    messages = [str(e) for e in error.value.errors]
    assert any("channel" in m for m in messages)
    assert any("text" in m for m in messages)
    assert all(e.row == 1 for e in error.value.errors)


def test_empty_file_and_blank_rows():
    with pytest.raises(CsvFileError):
        read_csv(b"")
    rows = list(read_csv(b"text\n\n , \nhello\n").rows)
    assert rows == [(4, {"text": "hello"})]


def test_row_with_extra_cells_is_an_error_naming_the_row():
    table = read_csv(b"text\nok\ntoo,many\n")
    with pytest.raises(CsvFileError) as error:
        list(table.rows)
    assert error.value.errors[0].row == 3


def test_reads_from_an_uploaded_binary_file_without_closing_it():
    upload = io.BytesIO(TEXT.encode("cp932"))
    assert len(list(read_csv(upload).rows)) == 2
    assert not upload.closed


def test_cell_parsers_accept_what_japanese_users_type():
    assert parse_int("１，２００") == 1200
    assert parse_int("¥3,400") == 3400
    assert parse_int("500円") == 500
    assert parse_date("2026/11/01") == date(2026, 11, 1)
    assert parse_date("2026年11月1日") == date(2026, 11, 1)
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_datetime("2026/11/01 09:30") == datetime(2026, 11, 1, 9, 30, tzinfo=tokyo)
    assert parse_datetime("2026-11-01") == datetime(2026, 11, 1, tzinfo=tokyo)
    assert parse_datetime("2026-11-01T00:00:00+00:00").utcoffset().total_seconds() == 0
    assert parse_bool("はい") is True
    assert parse_bool("") is False


@pytest.mark.parametrize("value", ["abc", "12.5", ""])
def test_parse_int_refuses_non_integers(value: str):
    with pytest.raises(CellError):
        parse_int(value)


def test_parse_int_bounds_and_bad_dates():
    with pytest.raises(CellError):
        parse_int("-1", minimum=0)
    with pytest.raises(CellError):
        parse_date("2026-02-30")
    with pytest.raises(CellError):
        parse_datetime("昨日")
    with pytest.raises(CellError):
        parse_bool("たぶん")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/04/01 10:00", (2026, 4, 1, 10, 0, 0)),
        ("2026-4-1", (2026, 4, 1, 0, 0, 0)),
        ("2026-04-01T10:00:05", (2026, 4, 1, 10, 0, 5)),
        ("２０２６／０４／０１", (2026, 4, 1, 0, 0, 0)),  # full-width, as some exports write it
        ("2026年4月1日", (2026, 4, 1, 0, 0, 0)),
    ],
)
def test_date_times_in_the_forms_excel_writes_are_japan_time(text, expected):
    from engagement.platform.csvfiles import TOKYO, parse_datetime

    assert parse_datetime(text) == datetime(*expected, tzinfo=TOKYO)


@pytest.mark.parametrize("text", ["2026/13/01", "2026/02/30", "2026-04-01 25:00", "昨日"])
def test_impossible_dates_are_cell_errors(text):
    from engagement.platform.csvfiles import CellError, parse_date, parse_datetime

    with pytest.raises(CellError):
        parse_datetime(text)
    with pytest.raises(CellError):
        parse_date(text)
