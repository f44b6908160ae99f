"""CSV of personal links (for companies that send them through their own mail or LINE tools)."""

from __future__ import annotations

import csv
import io

from engagement.platform.spreadsheets import neutralise
from surveys.models import Survey
from surveys.selectors import invitation_links

HEADER = ("customer_external_id", "url")


def links_csv(*, survey: Survey, bom: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for external_id, url in invitation_links(survey=survey):
        writer.writerow([neutralise(external_id), url])
    return ("\ufeff" if bom else "") + buffer.getvalue()
