"""CSV imports of customers and behaviour records: encodings, errors, idempotence, size."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from engagement.customers import imports
from engagement.customers.models import BehaviourRecord, Customer, ImportKind
from engagement.platform.csvfiles import CsvFileError

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")

CUSTOMERS = (
    "external_id,segment,signed_up_on,name,email,contact_allowed,都道府県\r\n"
    "C001,一般,2025/04/01,山田 太郎,taro@example.jp,はい,東京都\r\n"
    "C002,プレミアム,2025-05-10,佐藤 花子,hanako@example.jp,いいえ,大阪府\r\n"
)


def run(data: bytes, kind: str = ImportKind.CUSTOMERS, **kwargs):
    return imports.import_csv(io.BytesIO(data), kind=kind, now=timezone.now(), **kwargs)


def test_cp932_file_from_japanese_excel():
    result = run(CUSTOMERS.encode("cp932"))
    assert result.created == 2 and result.errors == []
    taro = Customer.objects.get(external_id="C001")
    assert taro.name == "山田 太郎" and taro.segment == "一般"
    assert taro.attributes == {"都道府県": "東京都"}
    assert taro.contact_allowed is True
    assert str(taro.signed_up_on) == "2025-04-01"


def test_utf8_with_bom_and_reimport_updates_without_duplicates():
    run(("\ufeff" + CUSTOMERS).encode("utf-8"))
    changed = CUSTOMERS.replace("一般", "ゴールド")
    result = run(("\ufeff" + changed).encode("utf-8"))
    assert result.created == 0 and result.updated == 2
    assert Customer.objects.count() == 2
    assert Customer.objects.get(external_id="C001").segment == "ゴールド"


def test_columns_not_in_the_file_are_left_alone():
    run(CUSTOMERS.encode())
    result = run("external_id,segment\r\nC001,法人\r\n".encode())
    assert result.updated == 1
    taro = Customer.objects.get(external_id="C001")
    assert taro.segment == "法人" and taro.email == "taro@example.jp"


def test_duplicate_ids_and_bad_values_are_reported_by_row_and_column_and_nothing_written():
    data = (
        b"external_id,signed_up_on,email\r\n"
        b"C001,2025/04/01,a@example.jp\r\n"
        b"C001,2025/04/02,b@example.jp\r\n"
        b"C003,2025/13/45,c@example.jp\r\n"
        b"C004,2025/01/01,not-an-address\r\n"
        b",2025/01/01,\r\n"
    )
    with pytest.raises(CsvFileError) as caught:
        run(data)
    errors = {(e.row, e.column) for e in caught.value.errors}
    assert errors == {
        (3, "external_id"),
        (4, "signed_up_on"),
        (5, "email"),
        (6, "external_id"),
    }
    message = caught.value.message
    assert "行 4" in message or "4行" in message or "Row 4" in message
    assert Customer.objects.count() == 0
    # asked to, the valid rows are imported and the others reported
    result = run(data, skip_invalid=True)
    assert result.created == 1 and len(result.errors) == 4
    assert Customer.objects.get().external_id == "C001"


def behaviours_csv(rows: str) -> bytes:
    return (
        "customer_external_id,kind,occurred_at,amount,touchpoint,event_id,商品\r\n" + rows
    ).encode("cp932")


def test_behaviours_negative_amount_bad_date_unknown_customer_and_kind():
    Customer.objects.create(external_id="C001")
    data = behaviours_csv(
        "C001,purchase,2026/04/01 10:00,-500,web,e1,\r\n"
        "C001,purchase,2026/04/31,1000,web,e2,\r\n"
        "C999,purchase,2026/04/01,1000,web,e3,\r\n"
        "C001,teleport,2026/04/01,,web,e4,\r\n"
        'C001,購入,2026/04/01,"￥1,200",店舗,e5,コーヒー豆\r\n'
    )
    with pytest.raises(CsvFileError) as caught:
        run(data, kind=ImportKind.BEHAVIOURS)
    errors = {(e.row, e.column) for e in caught.value.errors}
    assert errors == {
        (2, "amount"),
        (3, "occurred_at"),
        (4, "customer_external_id"),
        (5, "kind"),
    }
    assert BehaviourRecord.objects.count() == 0
    result = run(data, kind=ImportKind.BEHAVIOURS, skip_invalid=True)
    assert result.created == 1
    record = BehaviourRecord.objects.get()
    # Japanese kind name and touchpoint label, ¥ and thousands separator, JST time
    assert record.kind_id == "purchase" and record.touchpoint == "store"
    assert record.amount == 1200
    assert record.occurred_at == datetime(2026, 4, 1, tzinfo=TOKYO)
    assert record.attributes == {"商品": "コーヒー豆"}


def test_behaviours_reimport_never_duplicates_with_or_without_event_ids():
    Customer.objects.create(external_id="C001")
    data = behaviours_csv("C001,purchase,2026/04/01,1000,web,e1,\r\nC001,review,2026/04/02,,,,\r\n")
    first = run(data, kind=ImportKind.BEHAVIOURS)
    again = run(data, kind=ImportKind.BEHAVIOURS)
    assert (first.created, again.created, again.skipped) == (2, 0, 2)
    assert BehaviourRecord.objects.count() == 2


def test_duplicate_event_ids_in_one_file_are_errors():
    Customer.objects.create(external_id="C001")
    data = behaviours_csv(
        "C001,purchase,2026/04/01,1,web,e1,\r\nC001,purchase,2026/04/02,2,web,e1,\r\n"
    )
    with pytest.raises(CsvFileError) as caught:
        run(data, kind=ImportKind.BEHAVIOURS)
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "event_id")]


def test_a_10_mb_file_imports_in_batches(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write("external_id,segment,name,email,メモ\r\n")
        i = 0
        while handle.tell() < 10 * 1024 * 1024:
            handle.write(f"K{i:07d},一般,顧客 {i},k{i}@example.jp,{'あ' * 400}\r\n")
            i += 1
    assert path.stat().st_size >= 10 * 1024 * 1024
    progress = []
    result = imports.import_csv(
        path,
        kind=ImportKind.CUSTOMERS,
        now=timezone.now(),
        progress=lambda s, n: progress.append((s, n)),
    )
    assert result.created == i and Customer.objects.count() == i
    assert ("importing", i) in progress and any(stage == "validating" for stage, _n in progress)
    # Progress per batch: of the write pass through the ORM; of the one validating pass that
    # streams into the staging table on PostgreSQL (then written by one statement).
    stage = "validating" if connection.vendor == "postgresql" else "importing"
    assert len([p for p in progress if p[0] == stage]) == -(-i // imports.BATCH)


def test_commands(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_bytes(CUSTOMERS.encode("cp932"))
    call_command("import_customers", str(path))
    assert json.loads(capsys.readouterr().out)["created"] == 2
    behaviours = tmp_path / "b.csv"
    behaviours.write_bytes(behaviours_csv("C001,purchase,2026/04/01,1000,web,e1,\r\n"))
    call_command("import_behaviours", str(behaviours))
    assert BehaviourRecord.objects.count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(behaviours_csv("C001,purchase,yesterday,1000,web,e2,\r\n"))
    with pytest.raises(CommandError) as caught:
        call_command("import_behaviours", str(bad))
    assert "occurred_at" in str(caught.value)
    assert BehaviourRecord.objects.count() == 1
    with pytest.raises(CommandError):
        call_command("import_customers", str(tmp_path / "missing.csv"))
