"""Exports opened back with the csv module and openpyxl: Japanese intact, formulas neutralised."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from engagement.reports import exports, selectors
from tests.reports.conftest import PERIOD, Builder, Constructed, at

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture
def data(constructed: Constructed, builder: Builder) -> dict:
    # a topic whose name and quotes are formula payloads
    from voc.models import Topic

    hostile = Topic.objects.create(name="=cmd|' /C calc'!A0")
    for i, text in enumerate(HOSTILE):
        builder.feedback(
            customer=builder.customer(),
            topic=hostile,
            text=text,
            score=0,
            when=at(PERIOD[0]),
            topic_score=1.0 - i / 10,
        )
    return selectors.compute_report(period_start=PERIOD[0], period_end=PERIOD[1])


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_safe(cells: list) -> None:
    """No text cell may start a formula; a plain number such as -12.5 is data, not a formula."""
    for cell in cells:
        if isinstance(cell, str) and cell and not is_number(cell):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), repr(cell)


def test_csv_utf8_bom_reads_back(data: dict) -> None:
    content = exports.report_csv(data)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["グループ", "順位", "トピック", "行動への影響（ポイント）"]
    names = [row[2] for row in body]
    assert "解約手続き" in names and "画面デザイン" in names
    assert body[0][:3] == ["課題", "1", "解約手続き"]  # the top problem first
    hostile = next(row for row in body if "cmd" in row[2])
    assert hostile[2] == "'=cmd|' /C calc'!A0"
    quote_cells = hostile[-5:]
    assert '\'=HYPERLINK("[URL]")' in quote_cells
    assert "'@SUM(A1)" in quote_cells and "'+1+1" in quote_cells and "'-2+3" in quote_cells
    for row in rows:
        assert_safe(row)
    # quotes are masked in exports as on the page
    assert "taro.yamada@example.jp" not in content.decode("utf-8-sig")
    assert "山田" not in content.decode("utf-8-sig")


def test_csv_cp932_reads_back(data: dict) -> None:
    content = exports.report_csv(data, encoding="cp932")
    text = content.decode("cp932")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][2] == "トピック"
    assert any(row[2] == "店舗スタッフ" for row in rows[1:])
    assert any("店舗スタッフの対応がとても丁寧でした" in cell for row in rows for cell in row)
    for row in rows:
        assert_safe(row)


def test_xlsx_reads_back(data: dict) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(exports.report_xlsx(data)))
    topics_sheet, quotes_sheet, summary_sheet = workbook.worksheets
    assert topics_sheet.title == "トピック" and quotes_sheet.title == "引用"
    assert summary_sheet.title == "サマリー"
    topic_rows = list(topics_sheet.iter_rows(values_only=True))
    assert topic_rows[0][2] == "トピック"
    assert topic_rows[1][2] == "解約手続き"  # ranked by effect
    assert isinstance(topic_rows[1][3], float)  # numbers stay numbers
    quote_rows = list(quotes_sheet.iter_rows(values_only=True))
    texts = [row[2] for row in quote_rows[1:]]
    assert any("画面の色がもう少し明るいと嬉しいです" in t for t in texts)
    assert '\'=HYPERLINK("[URL]")' in texts
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                assert_safe([cell.value])


def test_export_report_command_csv_and_xlsx(constructed: Constructed, tmp_path: Path) -> None:
    out_csv = tmp_path / "report.csv"
    call_command(
        "export_report",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--format",
        "csv",
        "--output",
        str(out_csv),
    )
    rows = list(csv.reader(io.StringIO(out_csv.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows[1][2] == "解約手続き"
    out_xlsx = tmp_path / "report.xlsx"
    call_command(
        "export_report",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-31",
        "--format",
        "xlsx",
        "--output",
        str(out_xlsx),
    )
    sheet = openpyxl.load_workbook(out_xlsx).worksheets[0]
    assert sheet.cell(row=2, column=3).value == "解約手続き"


def test_export_report_command_rejects_bad_dates(db: None, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    with pytest.raises(CommandError, match="日付"):
        call_command(
            "export_report", "--from", "2026/10/01", "--format", "csv", "--output", str(out)
        )
    with pytest.raises(CommandError):
        call_command(
            "export_report",
            "--from",
            "2026-10-31",
            "--to",
            "2026-10-01",
            "--format",
            "csv",
            "--output",
            str(out),
        )
    assert not out.exists()
