"""CSV export of an inbox selection: UTF-8 with BOM (opens in Japanese Excel), formula
injection neutralised, customer personal data only for staff allowed to see it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.platform.branding import staff_label
from engagement.platform.spreadsheets import cell
from voc.models import FeedbackItem

from .selectors import PERSONAL_DATA_PERM, items_for_export


def _cell(value: Any) -> Any:
    return cell(value)  # numbers stay numbers; text is neutralised


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_rows(*, queryset: QuerySet[FeedbackItem], user: Any) -> Iterator[str]:
    queryset = queryset.visible_to(user)  # the one scope rule, whoever calls the export
    personal = user.has_perm(PERSONAL_DATA_PERM)
    writer = csv.writer(_Echo())
    header = [
        _("ID"),
        _("received at"),
        _("channel"),
        _("state"),
        _("priority"),
        _("due at"),
        _("owner"),
        _("team"),
        _("topic"),
        _("sentiment"),
        _("NPS score"),
        _("NPS category"),
        _("touchpoint"),
        _("segment"),
        _("customer ID"),
        _("tags"),
        _("text"),
    ]
    if personal:
        header += [_("customer name"), _("customer e-mail")]
    yield "\ufeff" + writer.writerow([_cell(h) for h in header])
    fmt = "%Y-%m-%d %H:%M"
    for item in (
        items_for_export(queryset).order_by("-received_at", "-id").iterator(chunk_size=2000)
    ):
        customer = item.customer
        row = [
            item.id,
            timezone.localtime(item.received_at).strftime(fmt),
            item.get_channel_display(),
            item.get_state_display(),
            item.get_priority_display(),
            timezone.localtime(item.due_at).strftime(fmt) if item.due_at else "",
            staff_label(item.owner) if item.owner_id else "",  # the name staff know them by
            item.team.name if item.team_id else "",
            item.topic.name if item.topic_id else "",
            item.get_sentiment_display() if item.sentiment else "",
            "" if item.nps_score is None else item.nps_score,
            item.nps_category,
            item.get_touchpoint_display() if item.touchpoint else "",
            customer.segment if customer else "",
            customer.external_id if customer else "",
            " ".join(link.tag.name for link in item.item_tags.all()),
            item.text,
        ]
        if personal:
            row += [customer.name if customer else "", customer.email if customer else ""]
        yield writer.writerow([_cell(cell) for cell in row])
