"""Forget means forget: after ``forget_customer`` no table, no text or JSON column and no kept
file holds the customer's name, e-mail, phone, customer ID or their unique phrase.

Every model is introspected (``apps.get_models``), every row read, every value searched: text
as is, JSON as written by ``json.dumps(ensure_ascii=False)``, binary decoded, files opened.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from engagement.customers.models import Customer, ImportJob
from engagement.customers.services import forget_customer
from engagement.platform.models import OutboxMessage
from surveys.models import Response
from voc.models import FeedbackItem, Topic
from voc.triage.models import Alert, Note, TriageEvent

from .conftest import A_NAME, A_PHRASE, B_EMAIL, B_EXTERNAL, B_NAME, B_PHONE, B_PHRASE

ERASED = [B_NAME, B_NAME.replace(" ", ""), B_EMAIL, B_PHONE, B_PHRASE, B_EXTERNAL]


def _values(row: Any) -> list[tuple[str, str]]:
    found = []
    for field in row._meta.concrete_fields:
        value = getattr(row, field.attname)
        if value in (None, "", [], {}):
            continue
        if isinstance(field, models.FileField):
            try:
                with value.open("rb") as handle:
                    raw = handle.read()
            except (OSError, ValueError):
                continue
            text = raw.decode("utf-8-sig", errors="ignore") + raw.decode("cp932", errors="ignore")
        elif isinstance(value, bytes | memoryview):
            text = bytes(value).decode("utf-8", errors="ignore")
        elif isinstance(value, dict | list):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = str(value)
        found.append((field.name, text))
    return found


def search_everything(needles: list[str]) -> tuple[list[str], int]:
    hits = []
    columns = 0
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for row in model._default_manager.all().iterator():
            for name, text in _values(row):
                columns += 1
                for needle in needles:
                    if needle in text:
                        hits.append(f"{model._meta.label}.{name} (pk {row.pk}): {needle}")
    return hits, columns


def test_forgotten_customer_leaves_no_trace_in_any_table(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    customer, item = world.customer_b, world.item_b
    # Copies of the customer's data in every corner the platform keeps text.
    FeedbackItem.objects.filter(pk=item.pk).update(
        aspects=[
            {"text": f"{B_PHRASE}で解約したいです", "sentiment": "negative", "topic_id": None}
        ],
        normalized_text=item.text,
    )
    Alert.objects.create(
        key=f"rule:{item.pk}",
        kind="rule",
        item=item,
        customer=customer,
        to=[B_EMAIL],
        subject=f"{B_NAME}様のご意見",
        body=item.text,
    )
    Alert.objects.create(
        key="digest:1", kind="digest", to=["lead@staff.example.jp"], subject="日次", body=item.text
    )
    Note.objects.create(item=world.item_a, author=world.users["admin"], body=f"{B_NAME}様と同件")
    TriageEvent.objects.create(item=item, kind="note", detail=f"{B_NAME}様へ連絡")
    job = ImportJob.objects.create(kind="customers", original_name="customers.csv")
    job.file.save(
        "customers.csv",
        ContentFile(
            "external_id,name,email\n"
            f"{B_EXTERNAL},{B_NAME},{B_EMAIL}\n"
            "CUST-GAMMA-1,別の人,other@example.jp\n".encode("cp932")
        ),
    )
    ImportJob.objects.filter(pk=job.pk).update(errors=[f"3行目 email: {B_EMAIL} は登録済みです"])
    OutboxMessage.objects.create(task_name="surveys.send_deliveries", kwargs={"to": B_EMAIL})
    LogEntry.objects.create(
        user=world.users["admin"],
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
        object_repr=str(customer),
        action_flag=CHANGE,
        change_message=f"{B_NAME}様の住所を変更",
    )
    # Delivery logs of webhooks and chat alerts, and a store link's URL parameters.
    from engagement.integrations.models import (
        ChatChannel,
        ChatDelivery,
        WebhookDelivery,
        WebhookEndpoint,
    )
    from engagement.integrations.services import _body

    hook = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example.jp/in")
    WebhookDelivery.objects.create(
        endpoint=hook,
        event="feedback.created",
        event_id=uuid.uuid4(),
        key=f"feedback-{item.pk}",
        body=_body(
            event="feedback.created",
            event_id=uuid.uuid4(),
            data={"text": item.text + "\n改行後", "customer_external_id": B_EXTERNAL},
            now=timezone.now(),
        ),
        response_excerpt=f"unknown customer {B_EMAIL}",
    )
    room = ChatChannel.objects.create(name="CS", provider="slack", webhook_url="https://x")
    ChatDelivery.objects.create(
        channel=room, kind="detractor", key="d1", text=f"批判者の回答: {item.text}"
    )
    Response.objects.filter(customer=customer).update(url_params={"member": B_EXTERNAL})
    report = world.objects["report"]
    report.refresh_from_db()
    quotes_before = json.dumps(report.data, ensure_ascii=False)
    assert B_PHRASE in quotes_before and A_PHRASE in quotes_before  # masked, but quoted

    hits, _columns = search_everything(ERASED)
    assert len(hits) >= 15, hits  # the set-up reaches the tables it means to

    forget_customer(customer=customer, now=timezone.now())

    hits, columns = search_everything(ERASED)
    print(
        f"forget: {columns} non-empty values searched for {len(ERASED)} strings, {len(hits)} hits"
    )
    assert hits == []
    # Only the customer's data went: team A's customer, text and quote are still there.
    assert A_PHRASE in FeedbackItem.objects.get(pk=world.item_a.pk).text
    report.refresh_from_db()
    assert A_PHRASE in json.dumps(report.data, ensure_ascii=False)
    assert item.pk not in Topic.objects.get(pk=world.topic.pk).quote_ids
    with job.file.open("rb") as handle:
        assert "CUST-GAMMA-1" in handle.read().decode("cp932")
    # Forgetting again changes nothing more.
    forget_customer(customer=Customer.objects.get(pk=customer.pk), now=timezone.now())
    assert search_everything(ERASED)[0] == []


def test_forgetting_erases_only_what_identifies_the_customer(world):
    from voc.triage.models import Note

    Customer.objects.filter(pk=world.customer_b.pk).update(
        attributes={"phone": B_PHONE, "plan": "premium", "prefecture": "東京都"}
    )
    note = Note.objects.create(
        item=world.item_a, author=world.users["admin"], body="premium 東京都 特になし"
    )
    FeedbackItem.objects.create(
        text="特になし", channel="survey", received_at=timezone.now(), customer=world.customer_b
    )
    forget_customer(customer=Customer.objects.get(pk=world.customer_b.pk), now=timezone.now())
    note.refresh_from_db()
    assert note.body == "premium 東京都 特になし"


def test_quotes_in_older_snapshots_are_found_by_the_customers_sentences(world):
    from engagement.platform.masking import mask_personal_data
    from engagement.reports.models import Report

    legacy = Report.objects.create(
        period_start=world.objects["report"].period_start,
        period_end=world.objects["report"].period_end,
        data={
            "topics": [
                {
                    "name": "解約",
                    "quotes": [
                        {"text": mask_personal_data(world.item_b.text, names=[B_NAME])},
                        {"text": mask_personal_data(world.item_a.text, names=[A_NAME])},
                    ],
                }
            ]
        },
    )
    forget_customer(customer=world.customer_b, now=timezone.now())
    legacy.refresh_from_db()
    quotes = legacy.data["topics"][0]["quotes"]
    assert len(quotes) == 1 and A_PHRASE in quotes[0]["text"]  # team A's quote stays
    assert B_PHRASE not in json.dumps(legacy.data, ensure_ascii=False)
