"""Imports that never half-write: control characters are rejected by row and column; Excel
workbooks (.xlsx) import like CSV, with the same errors, for customers, behaviours and feedback."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.utils import timezone, translation
from openpyxl import Workbook

from engagement.customers import imports
from engagement.customers.models import BehaviourRecord, Customer, ImportKind
from engagement.platform.csvfiles import CONTROL_CHARACTERS, CsvFileError, read_table
from voc.models import FeedbackItem
from voc.services import import_feedback

pytestmark = pytest.mark.django_db

# Every control character the readers refuse (C0 except tab/LF/CR, DEL, C1).
REJECTED = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r"]


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(data: bytes, kind: str = ImportKind.CUSTOMERS, **kwargs):
    return imports.import_csv(io.BytesIO(data), kind=kind, now=timezone.now(), **kwargs)


def test_the_pattern_covers_exactly_the_rejected_characters():
    assert all(CONTROL_CHARACTERS.search(ch) for ch in REJECTED)
    assert not CONTROL_CHARACTERS.search("\t\n\r 　あ~")


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85"])
def test_a_control_character_in_a_customer_csv_is_a_row_error_and_nothing_is_written(char):
    data = f"external_id,name\r\nC001,山田\r\nC002,佐{char}藤\r\nC003,鈴木\r\n".encode()
    with translation.override("ja"), pytest.raises(CsvFileError) as caught:
        run(data)
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "name")]
    assert "制御文字" in str(caught.value.errors[0])
    assert Customer.objects.count() == 0


def test_skip_invalid_does_not_import_a_file_with_control_characters():
    data = "external_id,name\r\nC001,山田\r\nC002,佐\x00藤\r\n".encode()
    with pytest.raises(CsvFileError):
        run(data, skip_invalid=True)
    assert Customer.objects.count() == 0


def test_every_control_character_cell_of_the_file_is_named():
    data = "external_id,name\r\nC\x00001,山田\r\nC002,ok\r\nC003,a\x07b\r\n".encode()
    with pytest.raises(CsvFileError) as caught:
        run(data)
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "external_id"), (4, "name")]


def test_a_control_character_in_a_behaviour_csv_is_rejected():
    run(b"external_id\r\nC001\r\n")
    data = (
        b"customer_external_id,kind,occurred_at,memo\r\nC001,purchase,2026-01-01 10:00,a\x00b\r\n"
    )
    with pytest.raises(CsvFileError) as caught:
        run(data, kind=ImportKind.BEHAVIOURS)
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "memo")]
    assert BehaviourRecord.objects.count() == 0


def test_a_control_character_in_a_feedback_csv_is_rejected():
    with pytest.raises(CsvFileError) as caught:
        import_feedback(source="text,channel\r\n良い,review\r\n悪い\x00です,review\r\n".encode())
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "text")]
    assert FeedbackItem.objects.count() == 0


def test_tabs_and_line_breaks_inside_a_cell_are_kept():
    result = import_feedback(source='text\r\n"一行目\r\n二行目\tタブ"\r\n'.encode())
    assert result.errors == []
    assert FeedbackItem.objects.get().text.replace("\r\n", "\n") == "一行目\n二行目\tタブ"


# --- xlsx -------------------------------------------------------------------------------------


def test_customers_from_an_excel_workbook():
    data = xlsx(
        [
            ["external_id", "segment", "signed_up_on", "name", "contact_allowed", "会員番号"],
            ["C001", "一般", datetime(2025, 4, 1), "山田 太郎", "はい", 1200],
            [1002, "プレミアム", date(2025, 5, 10), "佐藤 花子", False, None],
            [None, None, None, None, None, None],
        ]
    )
    result = run(data)
    assert result.created == 2 and result.errors == []
    taro = Customer.objects.get(external_id="C001")
    assert str(taro.signed_up_on) == "2025-04-01" and taro.contact_allowed is True
    assert taro.attributes == {"会員番号": "1200"}
    hanako = Customer.objects.get(external_id="1002")  # a numeric id cell, without ".0"
    assert hanako.contact_allowed is False and str(hanako.signed_up_on) == "2025-05-10"


def test_behaviours_from_an_excel_workbook():
    run(b"external_id\r\nC001\r\n")
    data = xlsx(
        [
            ["customer_external_id", "kind", "occurred_at", "amount"],
            ["C001", "purchase", datetime(2026, 1, 5, 10, 30), 1200],
        ]
    )
    result = run(data, kind=ImportKind.BEHAVIOURS)
    assert result.created == 1, result.errors
    record = BehaviourRecord.objects.get()
    assert record.amount == 1200
    assert timezone.localtime(record.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-01-05 10:30"


def test_feedback_from_an_excel_workbook():
    data = xlsx([["text", "channel", "rating"], ["配送が遅いです", "review", 2]])
    result = import_feedback(source=data)
    assert result.errors == [] and len(result.item_ids) == 1
    item = FeedbackItem.objects.get()
    assert item.text == "配送が遅いです" and item.rating == 2


def test_excel_errors_have_the_same_rows_and_columns_as_csv():
    rows = [
        ["external_id", "signed_up_on", "email"],
        ["C001", "2025-13-40", "not-an-address"],
        ["C002", "2025-01-01", "ok@example.jp"],
        ["C003", "x", "a\x7f@example.jp"],
    ]
    csv_data = "\r\n".join(",".join(str(c) for c in row) for row in rows).encode()
    with pytest.raises(CsvFileError) as from_csv:
        run(csv_data)
    with pytest.raises(CsvFileError) as from_xlsx:
        run(xlsx(rows))
    assert [(e.row, e.column) for e in from_xlsx.value.errors] == [
        (e.row, e.column) for e in from_csv.value.errors
    ]
    assert [(e.row, e.column) for e in from_xlsx.value.errors] == [(4, "email")]
    assert Customer.objects.count() == 0


def test_excel_header_is_checked_like_csv():
    with pytest.raises(CsvFileError) as caught:
        read_table(xlsx([["name", "name"], ["a", "b"]]), required=["external_id"])
    assert {(e.row, e.column) for e in caught.value.errors} == {(1, "name"), (1, "external_id")}


def test_a_broken_workbook_is_a_file_error_not_a_traceback():
    with pytest.raises(CsvFileError):
        run(b"PK\x03\x04 this is not really a zip archive")
    assert Customer.objects.count() == 0


def test_admin_upload_of_an_excel_file_imports_it(admin_client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    data = xlsx([["external_id", "name"], ["C900", "高橋"]])
    response = admin_client.post(
        reverse("admin:engagement_customer_import"),
        {"kind": ImportKind.CUSTOMERS, "file": SimpleUploadedFile("顧客.xlsx", data)},
    )
    assert response.status_code == 302
    from engagement.customers.models import ImportJob

    job = ImportJob.objects.get()
    assert job.file.name.endswith(".xlsx")
    imports.run_import_job(job_id=job.id)
    assert Customer.objects.filter(external_id="C900", name="高橋").exists()
