"""The COPY path of the imports on PostgreSQL: staging table, one INSERT … SELECT, one transaction.

Customers, behaviour records and feedback: upsert / skip on re-import, bad rows refused with
their row numbers and nothing written (also unknown customers, found by a join in SQL), cp932
files, two concurrent imports of the same file, no staging table left behind, and the feedback
analysis handed to a real Celery worker through the outbox.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.utils import timezone

from engagement.customers import imports
from engagement.customers.models import BehaviourRecord, Customer, ImportKind
from engagement.platform.bulkcopy import uses_copy
from engagement.platform.csvfiles import CsvFileError
from engagement.platform.models import OutboxMessage
from voc.models import FeedbackItem
from voc.services import ingest
from voc.services.ingest import import_feedback

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
TOKYO = ZoneInfo("Asia/Tokyo")

CUSTOMERS = (
    "external_id,segment,signed_up_on,name,email,contact_allowed,都道府県\r\n"
    "C001,一般,2025/04/01,山田 太郎,taro@example.jp,はい,東京都\r\n"
    "C002,プレミアム,2025-05-10,佐藤 花子,hanako@example.jp,いいえ,大阪府\r\n"
    "C003,法人,,髙橋 ①,,,\r\n"
)
BEHAVIOURS = (
    "customer_external_id,kind,occurred_at,amount,touchpoint,event_id,商品\r\n"
    'C001,購入,2026/04/01 10:00,"￥1,200",店舗,e1,コーヒー豆\r\n'
    "C002,purchase,2026-04-02,500,web,e2,\r\n"
    "C003,review,2026/04/03,,,,\r\n"
)
FEEDBACK = (
    "text,channel,received_at,customer_external_id,rating,external_id,店舗\r\n"
    "解約の手続きが分かりにくい,support,2026-11-01 10:00,C001,2,T-1,渋谷\r\n"
    "配送が早くて助かりました,review,2026-11-02,,5,R-1,\r\n"
    "アプリが落ちる,sns,,C002,,,\r\n"
)


def customers(data: bytes, **kwargs):
    return imports.import_csv(
        io.BytesIO(data), kind=ImportKind.CUSTOMERS, now=timezone.now(), **kwargs
    )


def behaviours(data: bytes, **kwargs):
    return imports.import_csv(
        io.BytesIO(data), kind=ImportKind.BEHAVIOURS, now=timezone.now(), **kwargs
    )


def staging_tables() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class "
            "WHERE relname LIKE 'import_staging_%%' AND relpersistence = 't'"
        )
        return cursor.fetchone()[0]


def test_the_copy_path_is_taken_and_reimport_upserts():
    assert uses_copy()
    first = customers(CUSTOMERS.encode("cp932"))
    assert (first.rows, first.created, first.updated, first.errors) == (3, 3, 0, [])
    taro = Customer.objects.get(external_id="C001")
    assert (taro.name, taro.segment, taro.email) == ("山田 太郎", "一般", "taro@example.jp")
    assert taro.contact_allowed is True and str(taro.signed_up_on) == "2025-04-01"
    assert taro.attributes == {"都道府県": "東京都"}
    # NFKC of the cells (丸数字 → 1), empty optional columns → the defaults
    third = Customer.objects.get(external_id="C003")
    assert (third.name, third.email, third.signed_up_on, third.attributes) == (
        "髙橋 1",
        "",
        None,
        {},
    )
    created_at = taro.created_at

    again = customers(CUSTOMERS.replace("一般", "ゴールド").encode("cp932"))
    assert (again.created, again.updated) == (0, 3)
    assert Customer.objects.count() == 3
    taro.refresh_from_db()
    assert taro.segment == "ゴールド" and taro.created_at == created_at
    assert taro.updated_at > created_at
    # Only the columns in the file change.
    partial = customers("external_id,segment\r\nC001,法人\r\nC004,一般\r\n".encode())
    assert (partial.created, partial.updated) == (1, 1)
    taro.refresh_from_db()
    assert (taro.segment, taro.email, taro.attributes) == (
        "法人",
        "taro@example.jp",
        {"都道府県": "東京都"},
    )

    records = behaviours(BEHAVIOURS.encode("cp932"))
    assert (records.created, records.skipped, records.errors) == (3, 0, [])
    record = BehaviourRecord.objects.get(event_id="e1")
    assert record.customer.external_id == "C001" and record.kind_id == "purchase"
    assert (record.amount, record.touchpoint) == (1200, "store")
    assert record.occurred_at == datetime(2026, 4, 1, 10, 0, tzinfo=TOKYO)
    assert record.attributes == {"商品": "コーヒー豆"}
    derived = BehaviourRecord.objects.get(customer__external_id="C003")
    assert derived.event_id.startswith("row:") and derived.amount is None
    again = behaviours(BEHAVIOURS.encode("cp932"))
    assert (again.created, again.skipped) == (0, 3)
    assert BehaviourRecord.objects.count() == 3

    items = import_feedback(source=FEEDBACK.encode("cp932"))
    assert (items.created, items.duplicates, items.errors) == (3, 0, [])
    item = FeedbackItem.objects.get(external_id="T-1")
    assert (item.channel, item.rating, item.customer.external_id) == ("support", 2, "C001")
    assert item.attributes == {"店舗": "渋谷"}
    assert item.received_at == datetime(2026, 11, 1, 10, 0, tzinfo=TOKYO)
    assert FeedbackItem.objects.get(text="アプリが落ちる").external_id.startswith("sha256:")
    # three items: analysed at once, as the ORM path does for small imports
    assert all(row.tokenized_at for row in FeedbackItem.objects.all())
    again = import_feedback(source=FEEDBACK.encode("utf-8-sig"))
    assert (again.created, again.duplicates) == (0, 3)
    assert FeedbackItem.objects.count() == 3
    assert staging_tables() == 0


def test_bad_rows_are_refused_with_their_row_numbers_and_nothing_is_written():
    bad_customers = (
        "external_id,signed_up_on,email\r\n"
        "C001,2025/04/01,a@example.jp\r\n"
        "C001,2025/04/02,b@example.jp\r\n"
        "C003,2025/13/45,c@example.jp\r\n"
        "C004,2025/01/01,not-an-address\r\n"
        ",2025/01/01,\r\n"
    ).encode("cp932")
    with pytest.raises(CsvFileError) as caught:
        customers(bad_customers)
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "external_id"),
        (4, "signed_up_on"),
        (5, "email"),
        (6, "external_id"),
    ]
    assert Customer.objects.count() == 0 and staging_tables() == 0
    skipped = customers(bad_customers, skip_invalid=True)
    assert (skipped.created, skipped.skipped, len(skipped.errors)) == (1, 4, 4)
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["C001"]

    # Unknown customers are found in SQL (a join against the staging table).
    bad_records = (
        "customer_external_id,kind,occurred_at,amount,event_id\r\n"
        "C001,purchase,2026/04/01,100,e1\r\n"
        "C999,purchase,2026/04/01,100,e2\r\n"
        "C001,teleport,2026/04/01,100,e3\r\n"
        "C998,purchase,2026/04/01,-1,e4\r\n"
        "C997,purchase,2026/04/01,1,e5\r\n"
    ).encode("cp932")
    with pytest.raises(CsvFileError) as caught:
        behaviours(bad_records)
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "customer_external_id"),
        (4, "kind"),
        (5, "amount"),
        (6, "customer_external_id"),
    ]
    assert "C999" in str(caught.value.errors[0]) and "C997" in str(caught.value.errors[3])
    assert BehaviourRecord.objects.count() == 0 and staging_tables() == 0
    skipped = behaviours(bad_records, skip_invalid=True)
    assert (skipped.created, skipped.skipped) == (1, 4)
    assert list(BehaviourRecord.objects.values_list("event_id", flat=True)) == ["e1"]

    bad_feedback = (
        "text,channel,customer_external_id,rating\r\n"
        "良いお店です,review,C001,4\r\n"
        ",review,,3\r\n"
        "遅い,fax,,abc\r\n"
        "返信がない,support,C404,\r\n"
    ).encode("cp932")
    with pytest.raises(CsvFileError) as caught:
        import_feedback(source=bad_feedback)
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "text"),
        (4, "channel"),
        (4, "rating"),
        (5, "customer_external_id"),
    ]
    assert FeedbackItem.objects.count() == 0 and staging_tables() == 0
    skipped = import_feedback(source=bad_feedback, skip_bad_rows=True)
    assert (skipped.created, skipped.skipped_rows) == (1, 3)
    assert list(FeedbackItem.objects.values_list("text", flat=True)) == ["良いお店です"]


def test_a_control_character_refuses_the_file_on_the_copy_path_too():
    data = "external_id,name\r\nC001,山田\r\nC002,佐藤\x00花子\r\n".encode("cp932")
    with pytest.raises(CsvFileError) as caught:
        customers(data, skip_invalid=True)
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "name")]
    assert "U+0000" in str(caught.value.errors[0])
    assert Customer.objects.count() == 0 and staging_tables() == 0


def _concurrently(run, times: int = 2) -> list:
    """``run()`` in ``times`` threads (each its own database connection), started together."""
    barrier = threading.Barrier(times)
    results: list = [None] * times

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = run()
        except BaseException as exc:  # reported by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_concurrent_imports_of_the_same_file_do_not_duplicate():
    rows = 3000
    customer_file = "external_id,segment,name\r\n" + "".join(
        f"K{i},一般,顧客{i}\r\n" for i in range(rows)
    )
    results = _concurrently(lambda: customers(customer_file.encode("cp932")))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Customer.objects.count() == rows
    assert sorted((r.created, r.updated) for r in results) == [(0, rows), (rows, 0)]

    record_file = "customer_external_id,kind,occurred_at,amount\r\n" + "".join(
        f"K{i},purchase,2026/04/01 10:00,{i}\r\n" for i in range(rows)
    )
    results = _concurrently(lambda: behaviours(record_file.encode("cp932")))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert BehaviourRecord.objects.count() == rows
    assert sorted((r.created, r.skipped) for r in results) == [(0, rows), (rows, 0)]

    feedback_file = "text,channel,customer_external_id\r\n" + "".join(
        f"配送が遅い{i},review,K{i}\r\n" for i in range(rows)
    )
    results = _concurrently(lambda: import_feedback(source=feedback_file.encode("cp932")))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert FeedbackItem.objects.count() == rows
    assert sorted((r.created, r.duplicates) for r in results) == [(0, rows), (rows, 0)]


def test_a_large_feedback_import_enqueues_its_analysis_for_the_worker(
    celery_worker_process, wait, monkeypatch
):
    monkeypatch.setattr(ingest, "INLINE_ANALYSIS", 5)  # more items than that: deferred
    data = "external_id,channel,text\r\n" + "".join(
        f"f{i},review,ポイントの有効期限がわかりにくい{i}\r\n" for i in range(12)
    )
    result = import_feedback(source=data.encode("cp932"))
    assert result.created == 12 and len(result.item_ids) == 12
    # Nothing analysed by the import itself: it enqueued the chunks (outbox, sent at commit).
    assert OutboxMessage.objects.filter(task_name="voc.analyze_chunk").exists()
    assert set(result.item_ids) == set(FeedbackItem.objects.values_list("id", flat=True))
    wait(
        lambda: FeedbackItem.objects.filter(tokenized_at__isnull=True).count() == 0,
        timeout=120,
    )
    assert all("有効期限" in "".join(item.tokens) for item in FeedbackItem.objects.all())
    # Every message the import enqueued (analysis chunks, triage batches) is done by the worker.
    wait(lambda: not OutboxMessage.objects.exclude(state="done").exists(), timeout=120)


def test_ids_repeated_in_the_file_are_found_in_sql_and_nothing_is_written():
    Customer.objects.create(external_id="C001")
    # No event_id: the derived ids of rows 2 and 4 are equal; e1 appears on rows 3 and 5.
    data = (
        "customer_external_id,kind,occurred_at,amount,event_id\r\n"
        "C001,purchase,2026/04/01,100,\r\n"
        "C001,purchase,2026/04/02,100,e1\r\n"
        "C001,purchase,2026/04/01,100,\r\n"
        "C999,purchase,2026/04/03,100,e1\r\n"
    ).encode("cp932")
    with pytest.raises(CsvFileError) as caught:
        behaviours(data)
    assert [(e.row, e.column) for e in caught.value.errors] == [(4, "event_id"), (5, "event_id")]
    assert BehaviourRecord.objects.count() == 0 and staging_tables() == 0
    result = behaviours(data, skip_invalid=True)
    assert (result.created, result.skipped) == (2, 2)
    assert BehaviourRecord.objects.filter(event_id="e1").get().amount == 100
