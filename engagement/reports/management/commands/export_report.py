"""``python manage.py export_report [--from DATE] [--to DATE] --format csv|xlsx --output FILE``.

Computes the improvement report for the period (default: the last 30 days, Asia/Tokyo) and
writes its topic table with quotes. Nothing is written when the options are wrong.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from engagement.reports import exports, selectors
from engagement.reports.models import ProductArea


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"日付の形式が正しくありません: {value!r}(YYYY-MM-DD で指定してください)"
        ) from exc


class Command(BaseCommand):
    help = "Write the improvement report's topic table and quotes as CSV or Excel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (default: today)")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"])
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument("--encoding", default="utf-8-sig", choices=exports.CSV_ENCODINGS)
        parser.add_argument("--area", help="product area slug")

    def handle(self, *args: Any, **options: Any) -> None:
        end = _date(options["date_to"]) if options["date_to"] else timezone.localdate()
        start = _date(options["date_from"]) if options["date_from"] else end - timedelta(days=29)
        if end < start:
            raise CommandError("--to は --from 以降の日付にしてください。")
        area = None
        if options["area"]:
            area = ProductArea.objects.filter(slug=options["area"]).first()
            if area is None:
                raise CommandError(f"製品エリアが見つかりません: {options['area']!r}")
        data = selectors.compute_report(period_start=start, period_end=end, product_area=area)
        if options["format"] == "csv":
            content = exports.report_csv(data, encoding=options["encoding"])
        else:
            content = exports.report_xlsx(data)
        output = Path(options["output"])
        tmp = output.with_name(output.name + ".part")
        try:
            tmp.write_bytes(content)
            tmp.replace(output)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CommandError(f"ファイルを書き込めません: {output}: {exc.strerror}") from exc
        self.stdout.write(
            f"{output}: {len(data['topics'])} topics, {data['totals']['items']} items, "
            f"{start} – {end}"
        )
